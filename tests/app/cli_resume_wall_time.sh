#!/usr/bin/env bash
# wall_time is elapsed training time: after a stop and a resume it continues from the checkpoint's last
# point (never restarts at 0) and leaves out the time the run was stopped.
source "$(dirname "$0")/lib.bash"
TINY="$SRC/tests/app/tiny.json"

# Long enough that the SIGTERM always lands mid-run.
python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c['train']['max_epochs']=30; print(json.dumps(c))" \
  "$TINY" >"$WORK/thirty.json"
"$CLI" train --config "$WORK/thirty.json" --threads 1 --name paused >"$WORK/paused.log" 2>&1 &
pid=$!
sleep 0.5
wait_for_epochs paused 2
kill -TERM $pid
wait $pid 2>/dev/null || true
[ "$("$CLI" show paused --json | json_field "['status']")" = cancelled ] || fail "SIGTERM did not cancel"
before=$(sqlite3 "$ZOOLAB_DB" "SELECT MAX(m.wall_time) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.name = 'paused'")
last_id=$(sqlite3 "$ZOOLAB_DB" "SELECT MAX(id) FROM metrics")
# A pause the elapsed training time must not count.
sleep 4
"$CLI" resume paused --threads 1 --quiet >/dev/null || fail "resume failed"
[ "$("$CLI" show paused --json | json_field "['status']")" = finished ] || fail "resumed run not finished"

python3 - "$ZOOLAB_DB" "$before" "$last_id" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
before = float(sys.argv[2])
run = db.execute("SELECT id FROM runs WHERE name = 'paused'").fetchone()[0]
for (key,) in db.execute("SELECT DISTINCT key FROM metrics WHERE run_id = ?", (run,)).fetchall():
    rows = db.execute("SELECT step, wall_time FROM metrics WHERE run_id = ? AND key = ? ORDER BY id",
                      (run, key)).fetchall()
    for (s0, w0), (s1, w1) in zip(rows, rows[1:]):
        if s1 < s0:
            sys.exit(f"FAIL: {key}: steps go back from {s0} to {s1}")
        if w1 < w0:
            sys.exit(f"FAIL: {key}: wall_time decreases from {w0} (step {s0}) to {w1} (step {s1})")
# The first point the resumed trainer wrote continues from the stopped one's time, without the pause.
first_after = db.execute("SELECT wall_time FROM metrics WHERE run_id = ? AND id > ? ORDER BY id LIMIT 1",
                         (run, int(sys.argv[3]))).fetchone()[0]
if first_after is None or first_after < before:
    sys.exit(f"FAIL: the resumed points start at {first_after} s, before the stopped run's {before} s")
if first_after - before > 3.0:
    sys.exit(f"FAIL: the resumed points start {first_after - before:.1f} s after the stopped run's: the pause counted")
PY
echo "cli_resume_wall_time: ok"
