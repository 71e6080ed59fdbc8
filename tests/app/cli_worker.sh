#!/usr/bin/env bash
# The run queue: enqueue + worker trains runs in child processes; cancel, a killed trainer (interrupted),
# requeue (resumed from its checkpoint), worker --stop and --status, and the option errors.
source "$(dirname "$0")/lib.bash"
TINY="$SRC/tests/app/tiny.json"
# tiny.json with another epoch count: config NAME EPOCHS
config() {
  python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c['train']['max_epochs']=int(sys.argv[2]); print(json.dumps(c))" \
    "$TINY" "$2" >"$WORK/$1.json"
}
config short 2
config medium 40
config long 200
# Polling reads the database with sqlite3: a zoolab-cli start (LibTorch) per poll would compete with
# the trainers for the CPU.
column() { sqlite3 "$ZOOLAB_DB" "SELECT $2 FROM runs WHERE id = $1"; }
# Waits until run $1 has status $2, at most $3 seconds.
wait_for_status() {
  for _ in $(seq 1 $(($3 * 10))); do
    [ "$(column "$1" status)" = "$2" ] && return 0
    sleep 0.1
  done
  fail "run $1 did not become $2 within $3 s: $("$CLI" show "$1" --json 2>&1 | head -c 1500 || true)"
}

# Two queued runs, one worker with two slots that exits when the queue is empty.
a=$("$CLI" enqueue --config "$WORK/short.json" --name q-a --quiet)
b=$("$CLI" enqueue --config "$WORK/short.json" --name q-b --quiet)
[[ "$a" =~ ^[0-9]+$ && "$b" =~ ^[0-9]+$ ]] || fail "enqueue printed '$a' and '$b', expected run ids"
[ "$("$CLI" show "$a" --json | json_field "['status']")" = queued ] || fail "an enqueued run is not queued"
# A cancelled queued run is cancelled at once and never starts.
q=$("$CLI" enqueue --config "$WORK/short.json" --name q-never --quiet)
expect_contains "$("$CLI" cancel "$q")" "cancelled (it had not started)"
timeout 120 "$CLI" worker --slots 2 --threads 1 --poll-ms 100 --exit-when-idle >"$WORK/worker1.log" 2>&1 ||
  fail "worker --exit-when-idle failed: $(cat "$WORK/worker1.log")"
for run in "$a" "$b"; do
  json=$("$CLI" show "$run" --json)
  [ "$(json_field "['status']" <<<"$json")" = finished ] || fail "queued run $run not finished: $json"
  [ "$(json_field "['epochs']" <<<"$json")" = 2 ] || fail "queued run $run epochs: $json"
  json_field "['metrics']['valid/accuracy']" <<<"$json" >/dev/null || fail "run $run has no valid/accuracy"
  [ -s "$ZOOLAB_DB.files/logs/run-$run.log" ] || fail "no trainer log for run $run"
done
expect_contains "$(cat "$WORK/worker1.log")" "run $a"
[ "$("$CLI" show "$q" --json | json_field "['steps']")" = 0 ] || fail "a cancelled queued run was trained"
[ "$("$CLI" show "$q" --json | json_field "['status']")" = cancelled ] || fail "a cancelled queued run changed status"
expect_contains "$("$CLI" worker --status)" "no live worker"

# A worker in the background; a second one is refused.
"$CLI" worker --threads 1 --poll-ms 100 --log "$WORK/worker2.log" >/dev/null 2>&1 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; rm -rf "$WORK"' EXIT  # never leave it behind on a failure
for _ in $(seq 1 100); do
  [ "$(sqlite3 "$ZOOLAB_DB" 'SELECT COUNT(*) FROM workers')" = 1 ] && break
  sleep 0.1
done
status=$("$CLI" worker --status --json)
[ "$(json_field "['pid']" <<<"$status")" = "$worker" ] || fail "worker --status: $status"
expect_failure "another worker (pid $worker" "$CLI" worker --exit-when-idle

# Cancel a running run: the trainer checkpoints and the run becomes cancelled.
c=$("$CLI" enqueue --config "$WORK/long.json" --name q-cancel --quiet)
wait_for_status "$c" running 30
for _ in $(seq 1 200); do
  [ "$(column "$c" steps)" -gt 0 ] && break
  sleep 0.1
done
expect_contains "$("$CLI" cancel "$c")" "cancel requested"
wait_for_status "$c" cancelled 30
expect_contains "$("$CLI" show "$c" --json | json_field "['error']")" "stopped on request"
expect_failure "only queued or running runs can be cancelled" "$CLI" cancel "$c"

# kill -9 the trainer: the worker marks the run interrupted; requeue resumes and finishes it.
d=$("$CLI" enqueue --config "$WORK/medium.json" --name q-killed --quiet)
for _ in $(seq 1 300); do
  [ "$(column "$d" epochs)" -ge 1 ] && break  # a checkpoint exists
  sleep 0.1
done
[ "$(column "$d" status)" = running ] || fail "run $d is $(column "$d" status) before the kill, expected running"
trainer=$(column "$d" pid)
[ -n "$trainer" ] && [ "$trainer" != "$worker" ] && [ "$trainer" != 0 ] || fail "run $d has trainer pid '$trainer'"
kill -9 "$trainer"
wait_for_status "$d" interrupted 30
error=$("$CLI" show "$d" --json | json_field "['error']")
expect_contains "$error" "killed by signal 9"
expect_contains "$error" "run-$d.log"
expect_contains "$("$CLI" requeue "$d")" "queued again; it resumes from its checkpoint at step"
wait_for_status "$d" finished 90
json=$("$CLI" show "$d" --json)
expect_contains "$(cat "$ZOOLAB_DB.files/logs/run-$d.log")" "run $d: resuming from the checkpoint at step"
[ "$(json_field "['epochs']" <<<"$json")" = 40 ] || fail "requeued run epochs: $json"
[ "$(json_field "['steps']" <<<"$json")" = 2560 ] || fail "requeued run steps: $json"
# One train/loss point per step: the resume recomputed what followed the checkpoint without duplicates.
points=$(sqlite3 "$ZOOLAB_DB" "SELECT COUNT(*) FROM metrics WHERE run_id = $d AND key = 'train/loss'")
[ "$points" = 2560 ] || fail "expected 2560 train/loss points after the resume, found $points"
expect_failure "only cancelled or interrupted runs can be requeued" "$CLI" requeue "$d"

# Stop the worker.
expect_contains "$("$CLI" worker --stop)" "stopped"
set +e
wait "$worker"
code=$?
set -e
[ "$code" -eq 0 ] || fail "the worker exited with $code: $(cat "$WORK/worker2.log")"
expect_contains "$("$CLI" worker --status)" "no live worker"
[ "$(sqlite3 "$ZOOLAB_DB" 'SELECT COUNT(*) FROM workers')" = 0 ] || fail "the stopped worker left its row"

# Option errors.
expect_failure "--config FILE, --preset NAME or --run ID" "$CLI" train
expect_failure "excludes" "$CLI" train --run "$a" --config "$TINY"
expect_failure "train --run\` takes queued runs only" "$CLI" train --run "$a"
expect_failure "excludes" "$CLI" worker --status --slots 2
expect_failure "--slots" "$CLI" worker --slots 0
expect_failure "exactly one of --config FILE or --preset NAME" "$CLI" enqueue
echo "cli_worker: ok"
