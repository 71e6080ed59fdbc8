#!/usr/bin/env bash
# kill -9 leaves a sound database and a resumable run; SIGTERM cancels cleanly; resume finishes both.
source "$(dirname "$0")/lib.bash"
TINY="$SRC/tests/app/tiny.json"

"$CLI" train --config "$TINY" --threads 1 --name killed >"$WORK/killed.log" 2>&1 &
pid=$!
sleep 0.5
wait_for_epochs killed 1
kill -9 $pid
wait $pid 2>/dev/null || true
[ "$(sqlite3 "$ZOOLAB_DB" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check after kill -9"
status=$("$CLI" show killed --json | json_field "['status']")
[ "$status" = interrupted ] || fail "a killed run shows as $status, expected interrupted"
"$CLI" resume killed --threads 1 >"$WORK/resume.log" 2>&1 || fail "resume failed: $(cat "$WORK/resume.log")"
expect_contains "$(cat "$WORK/resume.log")" "resuming at epoch"
json=$("$CLI" show killed --json)
[ "$(json_field "['status']" <<<"$json")" = finished ] || fail "resumed run not finished: $json"
[ "$(json_field "['epochs']" <<<"$json")" = 8 ] || fail "resumed run epochs: $json"
[ "$(json_field "['steps']" <<<"$json")" = 512 ] || fail "resumed run steps: $json"
# One train/loss point per step: nothing duplicated by the restart.
points=$(sqlite3 "$ZOOLAB_DB" "SELECT COUNT(*) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.name = 'killed' AND m.key = 'train/loss'")
[ "$points" = 512 ] || fail "expected 512 train/loss points, found $points"

# Long enough that the SIGTERM always lands mid-run (8 epochs take two seconds on an idle machine).
python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c['train']['max_epochs']=30; print(json.dumps(c))" \
  "$TINY" >"$WORK/thirty.json"
"$CLI" train --config "$WORK/thirty.json" --threads 1 --name stopped >"$WORK/stopped.log" 2>&1 &
pid=$!
sleep 0.5
wait_for_epochs stopped 1
kill -TERM $pid
set +e
wait $pid
code=$?
set -e
[ "$code" -eq 130 ] || fail "SIGTERM exit code $code, expected 130: $(cat "$WORK/stopped.log")"
[ "$("$CLI" show stopped --json | json_field "['status']")" = cancelled ] || fail "SIGTERM did not cancel"
"$CLI" resume stopped --threads 1 --quiet >/dev/null || fail "resume after SIGTERM failed"
[ "$("$CLI" show stopped --json | json_field "['status']")" = finished ] || fail "resumed run not finished"

# Finished runs cannot be resumed.
set +e
out=$("$CLI" resume stopped 2>&1)
code=$?
set -e
[ "$code" -ne 0 ] || fail "resuming a finished run succeeded"
expect_contains "$out" "only cancelled or interrupted runs can be resumed"
echo "cli_kill_resume: ok"
