#!/usr/bin/env bash
# data mqar exports checkable examples; train prints progress and the run id; show --json has the fields.
source "$(dirname "$0")/lib.bash"
TINY="$SRC/tests/app/tiny.json"

"$CLI" data mqar --config "$TINY" --split test --out "$WORK/test.jsonl" 2>/dev/null
[ "$(wc -l <"$WORK/test.jsonl")" -eq 256 ] || fail "expected 256 test examples"
python3 - "$WORK/test.jsonl" <<'PY' || fail "exported MQAR examples break the format"
import json, sys
for line in open(sys.argv[1]):
    ex = json.loads(line)
    inputs, labels = ex["inputs"], ex["labels"]
    assert len(inputs) == len(labels) == 16 and ex["num_kv_pairs"] == 2 and ex["input_seq_len"] == 16
    keys = inputs[0:4:2]; values = inputs[1:4:2]
    assert all(1 <= k < 32 for k in keys) and all(32 <= v < 64 for v in values)
    answered = [(i, l) for i, l in enumerate(labels) if l != -100]
    assert len(answered) == 2
    for i, l in answered:
        assert inputs[i] in keys and values[keys.index(inputs[i])] == l
PY

out=$("$CLI" train --config "$TINY" --threads 1 --name shown)
expect_contains "$out" "epoch   1/8"
expect_contains "$out" "valid/accuracy"
id=$(tail -n 1 <<<"$out" | awk '{print $2}')
json=$("$CLI" show "$id" --json)
for field in id name status epochs steps num_parameters state_size metrics best; do
  python3 -c "import json,sys; assert '$field' in json.load(sys.stdin)" <<<"$json" || fail "show --json lacks $field"
done
[ "$(json_field "['metrics']['valid/accuracy'] <= 1.0" <<<"$json")" = True ] || fail "bad valid/accuracy"
# "best" is for metrics with a direction (accuracy, loss); a schedule value (the learning rate) is
# reported as its last value only.
printf '%s' "$json" >"$WORK/show.json"
python3 - "$WORK/show.json" <<'PY' || fail "show --json reports a best of a metric without a direction"
import json, sys
run = json.load(open(sys.argv[1]))
metrics, best = run["metrics"], run["best"]
assert "train/learning_rate" in metrics and "train/learning_rate" not in best, sorted(best)
assert "epoch" not in best, sorted(best)
assert "valid/accuracy" in best and "valid/loss" in best and "train/loss" in best, sorted(best)
assert best["valid/accuracy"] >= metrics["valid/accuracy"], (best, metrics)
PY
text=$("$CLI" show "$id")
expect_contains "$text" "valid/accuracy"
lr=$(grep -F "train/learning_rate" <<<"$text") || fail "show lists no train/learning_rate: $text"
if grep -qF "best" <<<"$lr"; then fail "show gives the learning rate a best: $lr"; fi
expect_contains "$("$CLI" runs)" "shown"
expect_contains "$("$CLI" presets)" "mqar-quick"
bench=$("$CLI" bench --config "$TINY" --steps 3 --warmup 1 --threads 1)
json_field "['train_examples_per_s'] > 0" <<<"$bench" | grep -q True || fail "bench did not report train_examples_per_s"
# Peak memory and the speed of one evaluation pass over the config's test split; --skip-eval leaves it out.
json_field "['peak_rss_bytes'] > 2**20" <<<"$bench" | grep -q True || fail "bench did not report peak_rss_bytes: $bench"
json_field "['eval_examples_per_s'] > 0" <<<"$bench" | grep -q True || fail "bench did not report eval_examples_per_s: $bench"
skipped=$("$CLI" bench --config "$TINY" --steps 1 --warmup 0 --threads 1 --skip-eval)
json_field ".get('eval_examples_per_s') is None" <<<"$skipped" | grep -q True || fail "--skip-eval still evaluated: $skipped"
echo "cli_data_and_show: ok"
