#!/usr/bin/env bash
# zoolab-cli sweep, sweeps and db merge: the paper's Figure 2 sweep enqueues 448 runs and 0 the second
# time; a small sweep trained whole and trained as two shards merged back gives the same dashboard; the
# errors of bad sweep files, shards and merges.
source "$(dirname "$0")/lib.bash"
TINY="$SRC/tests/app/tiny.json"

# --- The paper's sweep: 448 runs, then none.
first=$("$CLI" sweep --preset zoology-figure2 --db "$WORK/fig2.sqlite" --json)
[ "$(json_field "['enqueued']" <<<"$first")" = 448 ] || fail "zoology-figure2 did not enqueue 448 runs: $first"
second=$("$CLI" sweep --preset zoology-figure2 --db "$WORK/fig2.sqlite" --json)
[ "$(json_field "['enqueued']" <<<"$second")" = 0 ] || fail "a second enqueue added runs: $second"
[ "$(json_field "['already_present']" <<<"$second")" = 448 ] || fail "second enqueue: $second"
[ "$(sqlite3 "$WORK/fig2.sqlite" "SELECT count(*) FROM runs WHERE status = 'queued'")" = 448 ] ||
  fail "the database does not hold 448 queued runs"
# Each (model, width, learning rate, length) once, with the paper's batch size for the length.
[ "$(sqlite3 "$WORK/fig2.sqlite" "SELECT count(DISTINCT mixer || '/' || json_extract(config_json, '$.model.d_model') || '/' ||
      json_extract(config_json, '$.train.learning_rate') || '/' || json_extract(config_json, '$.data.train[0].input_seq_len'))
      FROM runs")" = 448 ] || fail "the 448 runs are not 448 distinct cells"
[ "$(sqlite3 "$WORK/fig2.sqlite" "SELECT DISTINCT json_extract(config_json, '$.data.batch_size') FROM runs
      WHERE json_extract(config_json, '$.data.train[0].input_seq_len') = 512")" = "[128,128]" ] ||
  fail "L=512 runs do not use batch size 128"
expect_contains "$("$CLI" sweeps --db "$WORK/fig2.sqlite")" "zoology-figure2: 0/448 finished, 0 running, 448 queued"
# A shard of the based sweep, without a database (dry run).
dry=$("$CLI" sweep --preset based-figure2 --shard 1/4 --dry-run --json)
[ "$(json_field "['runs'].__len__()" <<<"$dry")" = 43 ] || fail "shard 1/4 of 172 runs is not 43 runs"

# --- A small sweep: two models x two widths x two learning rates, one epoch each.
python3 - "$TINY" >"$WORK/small.json" <<'PY'
import json, sys
tiny = json.load(open(sys.argv[1]))
tiny["train"]["max_epochs"] = 1
att = dict(tiny, name="att")
conv = json.loads(json.dumps(tiny))
conv["name"] = "conv"
conv["model"]["max_position_embeddings"] = 0
conv["model"]["sequence_mixer"] = {"name": "base_conv", "kwargs": {"l_max": 16}}
print(json.dumps({"name": "small", "grid": [["model.d_model", [16, 32]], ["train.learning_rate", [0.003, 0.01]]],
                  "parts": [{"base": att}, {"base": conv}]}))
PY
train_all() {  # train_all DB: a worker trains every queued run, then exits
  timeout 300 "$CLI" worker --db "$1" --slots 2 --threads 1 --poll-ms 100 --exit-when-idle >"$1.worker.log" 2>&1 ||
    fail "worker on $1 failed: $(cat "$1.worker.log")"
  [ "$(sqlite3 "$1" "SELECT count(*) FROM runs WHERE status != 'finished'")" = 0 ] ||
    fail "unfinished runs in $1: $(sqlite3 "$1" "SELECT name, status, error FROM runs")"
}
"$CLI" sweep "$WORK/small.json" --db "$WORK/whole.sqlite" >/dev/null
"$CLI" sweep "$WORK/small.json" --db "$WORK/shard0.sqlite" --shard 0/2 >/dev/null
"$CLI" sweep "$WORK/small.json" --db "$WORK/shard1.sqlite" --shard 1/2 >/dev/null
[ "$(sqlite3 "$WORK/shard0.sqlite" "SELECT count(*) FROM runs")" = 4 ] || fail "shard 0/2 of 8 runs is not 4 runs"
for db in whole shard0 shard1; do train_all "$WORK/$db.sqlite"; done

merge=$("$CLI" db merge "$WORK/shard0.sqlite" "$WORK/shard1.sqlite" --out "$WORK/merged.sqlite")
expect_contains "$merge" "merged 2 database(s)"
sweeps=$("$CLI" sweeps --db "$WORK/merged.sqlite" --json)
[ "$(json_field "[0]['total']" <<<"$sweeps")" = 8 ] || fail "merged sweep: $sweeps"
[ "$(json_field "[0]['finished']" <<<"$sweeps")" = 8 ] || fail "merged sweep: $sweeps"
# Merging a shard again copies nothing.
again=$("$CLI" db merge "$WORK/merged.sqlite" "$WORK/shard0.sqlite" --out "$WORK/merged2.sqlite" --json)
[ "$(json_field "['sources'][1]['runs_copied']" <<<"$again")" = 0 ] || fail "a run was copied twice: $again"
[ "$(sqlite3 "$WORK/merged2.sqlite" "SELECT count(*) FROM runs")" = 8 ] || fail "merged2 does not hold 8 runs"

# The same dashboard from the whole sweep and from the merged shards: same points, chosen from runs of
# the same names (ids differ between databases).
for db in whole merged; do
  "$CLI" dashboard accuracy-vs-width --db "$WORK/$db.sqlite" --json >"$WORK/$db.dashboard.json"
done
python3 - "$WORK" <<'PY' || fail "the merged shards give another dashboard than the whole sweep"
import json, sqlite3, sys
work = sys.argv[1]
def points(db):
    names = dict(sqlite3.connect(f"{work}/{db}.sqlite").execute("SELECT id, name FROM runs"))
    figure = json.load(open(f"{work}/{db}.dashboard.json"))
    out = []
    for panel in figure["panels"]:
        for series in panel["series"]:
            for p in series["points"]:
                out.append((panel["title"], series["name"], p["x"], p["y"], names[p["run_id"]]))
    return sorted(out)
whole, merged = points("whole"), points("merged")
assert len(whole) == 4, whole  # 2 models x 2 widths, each the best of 2 learning rates
assert whole == merged, (whole, merged)
PY

# --- Errors.
expect_failure "cannot open the sweep file" "$CLI" sweep "$WORK/missing.json" --db "$WORK/e.sqlite"
echo '{"name": "bad", "base": {"name": "b"}, "grid": {"model.d_model": [16]}, "extra": 1}' >"$WORK/bad.json"
expect_failure 'unknown key "extra"' "$CLI" sweep "$WORK/bad.json" --db "$WORK/e.sqlite"
python3 -c "import json,sys; c=json.load(open(sys.argv[1])); print(json.dumps({'name': 'badpoint', 'base': c,
  'grid': {'model.sequence_mixer.kwargs.num_heads': [1, 3]}}))" "$TINY" >"$WORK/badpoint.json"
expect_failure 'sweep point "cli-tiny-num_heads=3"' "$CLI" sweep "$WORK/badpoint.json" --db "$WORK/e.sqlite"
[ "$(sqlite3 "$WORK/e.sqlite" "SELECT count(*) FROM runs" 2>/dev/null || echo 0)" = 0 ] ||
  fail "a sweep with an invalid point enqueued some runs"
expect_failure "expected i/n" "$CLI" sweep "$WORK/small.json" --db "$WORK/e.sqlite" --shard 2/2
# The same sweep name from a changed file is refused.
sed 's/0.003/0.004/' "$WORK/small.json" >"$WORK/small-changed.json"
expect_failure "different sweep file" "$CLI" sweep "$WORK/small-changed.json" --db "$WORK/whole.sqlite"
expect_failure "already exists" "$CLI" db merge "$WORK/shard0.sqlite" --out "$WORK/merged.sqlite"
expect_failure "no database at" "$CLI" db merge "$WORK/nothing.sqlite" --out "$WORK/merged3.sqlite"
echo "cli_sweep: ok"
