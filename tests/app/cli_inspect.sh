#!/usr/bin/env bash
# inspect reads the per-query records a training run writes at evaluation: its accuracy is the run's
# valid/accuracy, its tables add up, --example regenerates the tokens, --vs and --history work, and the
# errors say what to do.
source "$(dirname "$0")/lib.bash"
TINY="$SRC/tests/app/tiny.json"

out=$("$CLI" train --config "$TINY" --threads 1 --name inspected)
id=$(tail -n 1 <<<"$out" | awk '{print $2}')
"$CLI" show "$id" --json >"$WORK/show.json"
"$CLI" inspect "$id" --json --example 0 --history >"$WORK/inspect.json"
"$CLI" inspect "$id" --json --vs "$id" >"$WORK/self.json"
"$CLI" inspect "$id" --json --step 64 >"$WORK/step64.json"

python3 - "$WORK" <<'PY' || fail "inspect --json disagrees with the run"
import json, sys
work = sys.argv[1]
show = json.load(open(f"{work}/show.json"))
got = json.load(open(f"{work}/inspect.json"))
metrics = show["metrics"]

# The final evaluation's "all" set: every test query, as valid/accuracy saw them.
assert got["subset"] == "all" and got["step"] == show["steps"] and got["epoch"] == 8, got["subset"]
assert got["examples"] == 256 and got["queries"] == 512, (got["examples"], got["queries"])
assert abs(got["accuracy"] - metrics["valid/accuracy"]) <= 1e-9, (got["accuracy"], metrics["valid/accuracy"])
kv = {b["value"]: b for b in got["by_slice"]["num_kv_pairs"]}
assert kv[2]["n"] == 256, kv
assert abs(kv[2]["accuracy"] - metrics["valid/num_kv_pairs/accuracy-2"]) <= 1e-9, kv

# The tables partition the queries and agree with query_accuracy.
for table in ("by_gap", "by_kv_index"):
    assert sum(b["n"] for b in got[table]) == got["queries"], table
    right = sum(b["n"] * b["accuracy"] for b in got[table])
    assert abs(right / got["queries"] - got["query_accuracy"]) <= 1e-9, table
gaps = [b["gap"] for b in got["by_gap"]]
assert gaps == sorted(gaps) and all(2 <= g < 16 for g in gaps), gaps
assert [b["kv_index"] for b in got["by_kv_index"]] == [0, 1], got["by_kv_index"]

# Recorded sets: a tracked one per epoch (32 examples x 2 queries) and the final "all" one.
steps = got["steps"]
tracked = [s for s in steps if s["subset"] == "tracked"]
assert [s["epoch"] for s in tracked] == list(range(1, 9)), steps
assert all(s["count"] == 64 and s["bytes"] > 64 * 37 for s in tracked), tracked
assert [s["step"] for s in steps if s["subset"] == "all"] == [got["step"]], steps

# --example 0: its 16 regenerated tokens hold each query's key, its labels the targets.
ex = got["example"]
assert ex["example"] == 0 and ex["segment"] == 0, ex
assert len(ex["tokens"]) == 16 and len(ex["labels"]) == 16, ex
assert len(ex["queries"]) == 2, ex["queries"]
for q in ex["queries"]:
    assert ex["tokens"][q["position"]] == q["key"] and ex["labels"][q["position"]] == q["target"], q
    assert q["correct"] == (q["prediction"] == q["target"]) and 0 <= q["p_target"] <= 1, q
    assert ex["tokens"][q["position"] - q["gap"]] == q["key"], q  # the key's context occurrence

# --history: one row per tracked evaluation, null where no tracked query had that gap.
h = got["gap_history"]
assert h["steps"] == [s["step"] for s in tracked] and h["epochs"] == list(range(1, 9)), h["steps"]
assert len(h["accuracy"]) == 8 and all(len(row) == len(h["gaps"]) for row in h["accuracy"]), h
assert all(v is None or 0 <= v <= 1 for row in h["accuracy"] for v in row), h

# --vs itself: every query agrees.
c = json.load(open(f"{work}/self.json"))["comparison"]
assert c["only_a"] == 0 and c["only_b"] == 0, c
assert c["both_right"] + c["both_wrong"] == 512, c
assert c["both_right"] == round(got["query_accuracy"] * 512), c

# --step 64: the first evaluation's tracked set.
first = json.load(open(f"{work}/step64.json"))
assert first["subset"] == "tracked" and first["step"] == 64 and first["epoch"] == 1, first["subset"]
assert first["examples"] == 32 and first["queries"] == 64, (first["examples"], first["queries"])
PY

# The text summary has the tables.
text=$("$CLI" inspect inspected)
expect_contains "$text" "accuracy by gap"
expect_contains "$text" "accuracy by num_kv_pairs"
expect_contains "$text" "recorded steps: 64, 128"

expect_failure "no query records at step 65; recorded steps: 64, 128, 192" "$CLI" inspect "$id" --step 65
expect_failure "test example 256 is out of range: the test split has 256 examples" \
  "$CLI" inspect "$id" --example 256
expect_failure "test example 40 has no records in run $id, step 64 (\"tracked\" records); the recorded examples are 0-31" \
  "$CLI" inspect "$id" --step 64 --example 40

# A run trained without records says how to get them.
python3 - "$TINY" "$WORK/norecords.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["name"] = "norecords"
config["train"]["max_epochs"] = 1
config["train"]["inspect"] = {"records": False}
json.dump(config, open(sys.argv[2], "w"))
PY
"$CLI" train --config "$WORK/norecords.json" --threads 1 >/dev/null
expect_failure "has no query records" "$CLI" inspect norecords
expect_contains "$out" "train.inspect.records is true"

# A text run has per-token losses, not per-query records: inspect says so and names the text tools
# instead of telling how to record queries.
mkdir -p "$WORK/shards"
"$CLI" enqueue --preset text-tiny-attention --shards "$WORK/shards" --name textrun >/dev/null
text_id=$(sqlite3 "$ZOOLAB_DB" "SELECT id FROM runs WHERE name = 'textrun'")
expect_failure "run $text_id \"textrun\" is a text run: per-query recall records are for MQAR-family runs" \
  "$CLI" inspect textrun
expect_contains "$out" "zoolab-cli analyze $text_id"
if grep -qF "train.inspect" <<<"$out"; then fail "inspect tells a text run to record queries: $out"; fi
echo "cli_inspect: ok"
