# Shared by the CLI tests: CLI=zoolab-cli, SRC=source dir, WORK=a fresh folder removed at exit.
set -euo pipefail
CLI=$1
SRC=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export ZOOLAB_DB="$WORK/runs.sqlite"
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_contains() { grep -qF -- "$2" <<<"$1" || fail "expected to find '$2' in: $1"; }
# run_captured command...: runs the command without stopping the script; $out holds its output, $code its
# exit code.
run_captured() {
  set +e
  out=$("$@" 2>&1)
  code=$?
  set -e
}
# expect_code CODE command...: runs the command, which must exit with CODE ($out holds its output).
expect_code() {
  local want=$1
  shift
  run_captured "$@"
  [ "$code" -eq "$want" ] || fail "expected exit code $want from '$*', got $code: $out"
}
# expect_failure TEXT command...: the command fails, with TEXT in its output ($out holds it).
expect_failure() {
  local text=$1
  shift
  run_captured "$@"
  [ "$code" -ne 0 ] || fail "expected '$*' to fail"
  expect_contains "$out" "$text"
}
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
# Waits until run $1 (id or name) has completed at least $2 epochs, at most 120 s. It reads the database
# with sqlite3: a `zoolab-cli show` per poll loads LibTorch (a second under load), long enough for a tiny
# run to finish before the caller's kill arrives.
wait_for_epochs() {
  for _ in $(seq 1 1200); do
    epochs=$(sqlite3 "$ZOOLAB_DB" "SELECT epochs FROM runs WHERE id = '$1' OR name = '$1' ORDER BY id DESC LIMIT 1" \
      2>/dev/null || true)
    [ "${epochs:-0}" -ge "$2" ] && return 0
    sleep 0.1
  done
  fail "run $1 did not reach $2 epochs"
}
