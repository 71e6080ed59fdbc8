#!/usr/bin/env bash
# Killing the window while a run trains leaves the run training (docs/architecture.md#processes): the window starts a
# detached worker for a queued run, is killed with SIGKILL, the run keeps gaining epochs, and a new window (a
# headless --screenshot of it) opens on the live run.
# Usage: gui_survives_kill.sh ZOOLAB-CLI SOURCE-DIR ZOOLAB
source "$(dirname "$0")/../app/lib.bash"
GUI=$3
export QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME="$WORK/config" ZOOLAB_CLI="$CLI"
python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c['train']['max_epochs']=300; print(json.dumps(c))" \
  "$SRC/tests/app/tiny.json" >"$WORK/long.json"
status() { "$CLI" show "$1" --json | json_field "['$2']"; }
stop_all() {
  "$CLI" cancel "$run" >/dev/null 2>&1 || true
  "$CLI" worker --stop >/dev/null 2>&1 || true
}
trap 'stop_all; rm -rf "$WORK"' EXIT

run=$("$CLI" enqueue --config "$WORK/long.json" --name survives --quiet)
"$GUI" --db "$ZOOLAB_DB" >"$WORK/gui.log" 2>&1 &
gui=$!
wait_for_epochs "$run" 1
[ "$(status "$run" status)" = running ] || fail "the window's worker is not training run $run"
kill -9 "$gui"
wait "$gui" 2>/dev/null || true

before=$(status "$run" epochs)
wait_for_epochs "$run" $((before + 2))
[ "$(status "$run" status)" = running ] || fail "run $run stopped when the window was killed"
"$CLI" worker --status | grep -q pid || fail "the worker died with the window: $("$CLI" worker --status)"

# Reopening shows the live run: the headless window loads it, selects it and renders.
timeout 60 "$GUI" --db "$ZOOLAB_DB" --select "$run" --screenshot "$WORK/reopened.png" >"$WORK/gui2.log" 2>&1 ||
  fail "the reopened window failed: $(cat "$WORK/gui2.log")"
[ -s "$WORK/reopened.png" ] || fail "no screenshot written"
python3 - "$WORK/reopened.png" <<'PY' || fail "the screenshot is not a PNG of a window"
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
width, height = struct.unpack(">II", data[16:24])
assert width >= 800 and height >= 500, (width, height)
PY
echo "ok: run $run kept training after the window was killed"
