#!/usr/bin/env bash
# tasks lists the task registry (text and JSON); data export writes a split of any task as JSON lines,
# reproducibly, and refuses bad input. Written for a registry that grows: only mqar is named.
source "$(dirname "$0")/lib.bash"
TINY="$SRC/tests/app/tiny.json"

# tasks --json: every task has its fields, every parameter a type, a default and a doc; mqar is there.
"$CLI" tasks --json >"$WORK/tasks.json"
python3 - "$WORK/tasks.json" <<'PY' || fail "tasks --json breaks the format"
import json, sys
tasks = json.load(open(sys.argv[1]))
assert isinstance(tasks, list) and tasks, "no tasks"
names = [t["name"] for t in tasks]
assert len(set(names)) == len(names), f"duplicate names: {names}"
assert "mqar" in names, names
for task in tasks:
    assert set(task) >= {"name", "family", "summary", "params", "slice_keys"}, task
    assert task["family"] in ("mqar", "circuits", "mad"), task["family"]
    assert task["summary"], task["name"]
    assert all(isinstance(key, str) and key for key in task["slice_keys"]), task["name"]
    for param in task["params"]:
        assert {"name", "type", "default", "doc"} <= set(param), param
        assert param["doc"] and param["default"] is not None, param
mqar = next(t for t in tasks if t["name"] == "mqar")
assert {"num_kv_pairs", "power_a", "random_non_queries", "num_passes"} <= {p["name"] for p in mqar["params"]}
assert "num_kv_pairs" in mqar["slice_keys"]
PY

# tasks: one block per task of the JSON, each with its parameters, slice keys and example.
text=$("$CLI" tasks)
expect_contains "$text" "mqar (mqar): "
expect_contains "$text" "    num_kv_pairs: int = 8 (>= 1)  key-value pairs"
expect_contains "$text" "    slice keys: num_kv_pairs, input_seq_len, num_passes"
expect_contains "$text" "    example segment: {"
for name in $(python3 -c 'import json,sys; print(" ".join(t["name"] for t in json.load(open(sys.argv[1]))))' \
  "$WORK/tasks.json"); do
  grep -q "^$name (" <<<"$text" || fail "tasks does not list $name: $text"
done
[ "$(grep -c '^    slice keys: ' <<<"$text")" -eq "$(json_field '.__len__()' <"$WORK/tasks.json")" ] ||
  fail "tasks prints another number of tasks than tasks --json: $text"

# data export: one line per test example, the fields of the format, labels only at the queries.
"$CLI" data export --config "$TINY" --split test --out "$WORK/test.jsonl" 2>"$WORK/export.err"
expect_contains "$(cat "$WORK/export.err")" "wrote 256 examples of 1 segment (test split)"
[ "$(wc -l <"$WORK/test.jsonl")" -eq 256 ] || fail "expected 256 test examples"
python3 - "$WORK/test.jsonl" <<'PY' || fail "exported examples break the format"
import json, sys
for n, line in enumerate(open(sys.argv[1])):
    ex = json.loads(line)
    assert list(ex)[:4] == ["segment", "task", "inputs", "labels"], list(ex)
    assert ex["segment"] == 0 and ex["task"] == "mqar"
    assert ex["num_kv_pairs"] == 2 and ex["input_seq_len"] == 16 and ex["num_passes"] == 1
    inputs, labels = ex["inputs"], ex["labels"]
    assert len(inputs) == len(labels) == 16
    keys, values = inputs[0:4:2], inputs[1:4:2]
    answered = [(i, l) for i, l in enumerate(labels) if l != -100]
    assert len(answered) == 2, (n, labels)
    for i, l in answered:  # a label sits only on a query: a key of the context, asking for its value
        assert i >= 4 and inputs[i] in keys and values[keys.index(inputs[i])] == l, (n, i, l)
PY

# The same configuration exports the same bytes; to standard output too; and `data mqar`'s examples.
"$CLI" data export --config "$TINY" --split test --out "$WORK/again.jsonl" 2>/dev/null
cmp -s "$WORK/test.jsonl" "$WORK/again.jsonl" || fail "two exports of one configuration differ"
"$CLI" data export --config "$TINY" --split test --out - >"$WORK/stdout.jsonl"
cmp -s "$WORK/test.jsonl" "$WORK/stdout.jsonl" || fail "--out - differs from the file"
"$CLI" data mqar --config "$TINY" --split test --out "$WORK/mqar.jsonl" 2>/dev/null
python3 - "$WORK/test.jsonl" "$WORK/mqar.jsonl" <<'PY' || fail "data export and data mqar disagree"
import json, sys
exported, mqar = list(open(sys.argv[1])), list(open(sys.argv[2]))
assert len(exported) == len(mqar)
for a, b in zip(exported, mqar):
    a, b = json.loads(a), json.loads(b)
    assert a.pop("task") == "mqar" and a == b, (a, b)
PY

# Two segments, --set and the train split: segment indices follow the configuration; other seeds, other data.
"$CLI" data export --config "$TINY" --set data.train.0.num_examples=5 --split train --out "$WORK/train.jsonl" \
  2>/dev/null
[ "$(wc -l <"$WORK/train.jsonl")" -eq 5 ] || fail "--set num_examples=5 did not give 5 lines"
"$CLI" data export --config "$TINY" --set data.seed=4 --split test --out "$WORK/other.jsonl" 2>/dev/null
! cmp -s "$WORK/test.jsonl" "$WORK/other.jsonl" || fail "data.seed does not change the export"
python3 - "$TINY" "$WORK/two.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["data"]["test"] = [dict(config["data"]["test"][0], num_examples=3),
                          dict(config["data"]["test"][0], num_examples=4, num_kv_pairs=3)]
json.dump(config, open(sys.argv[2], "w"))
PY
"$CLI" data export --config "$WORK/two.json" --split test --out "$WORK/two.jsonl" 2>/dev/null
[ "$(python3 -c 'import json,sys; print([(e["segment"], e["num_kv_pairs"]) for e in map(json.loads, open(sys.argv[1]))])' \
  "$WORK/two.jsonl")" = "[(0, 2), (0, 2), (0, 2), (1, 3), (1, 3), (1, 3), (1, 3)]" ] ||
  fail "two segments: $(cat "$WORK/two.jsonl")"

# A preset works as a configuration does.
"$CLI" data export --preset mqar-quick --set data.test.0.num_examples=2 --split test --out "$WORK/preset.jsonl" \
  2>/dev/null
[ "$(wc -l <"$WORK/preset.jsonl")" -eq 2 ] || fail "--preset export"

# Refused: an unknown split, both or neither of --config / --preset, an output that cannot be written, a
# text run. A refused export leaves no file behind, and an existing file is kept as it was.
expect_failure "split" "$CLI" data export --config "$TINY" --split valid --out "$WORK/x.jsonl"
expect_failure "excludes" "$CLI" data export --config "$TINY" --preset mqar-quick --out "$WORK/x.jsonl"
expect_failure "give exactly one of --config FILE or --preset NAME" "$CLI" data export --out "$WORK/x.jsonl"
expect_failure "--out" "$CLI" data export --config "$TINY" --split test
expect_failure "does not exist" "$CLI" data export --config "$TINY" --out "$WORK/no/such/folder/x.jsonl"
expect_failure "is a folder" "$CLI" data export --config "$TINY" --out "$WORK"
expect_failure "is not a folder" "$CLI" data export --config "$TINY" --out "$WORK/test.jsonl/x.jsonl"
[ ! -e "$WORK/x.jsonl" ] || fail "a refused export wrote a file"
cp "$WORK/test.jsonl" "$WORK/kept.jsonl"
expect_failure "data.test[0]" "$CLI" data export --config "$TINY" --set data.test.0.num_kv_pairs=99 --split test \
  --out "$WORK/kept.jsonl"
cmp -s "$WORK/test.jsonl" "$WORK/kept.jsonl" || fail "a refused export changed the file it would replace"
# A write that fails half-way (here past a file-size limit of 8 KiB) is reported, and the file it would have
# replaced keeps its bytes: the export goes to a temporary file, renamed into place only when complete.
run_captured bash -c 'trap "" XFSZ; ulimit -f 8; exec "$0" data export --config "$1" --split test --out "$2"' \
  "$CLI" "$TINY" "$WORK/kept.jsonl"
[ "$code" -ne 0 ] || fail "an export past the file-size limit succeeded"
expect_contains "$out" "failed"
cmp -s "$WORK/test.jsonl" "$WORK/kept.jsonl" || fail "a failed export changed the file it would replace"
if ls "$WORK" | grep -q '\.tmp'; then fail "a temporary file was left behind: $(ls "$WORK")"; fi
expect_failure "token shards" "$CLI" data export --preset text-tiny-attention --out "$WORK/x.jsonl"

# Every registered task exports its example segment (from tasks --json): as many lines as examples, each
# with its task, tokens inside the vocabulary and at least one label.
python3 - "$WORK/tasks.json" "$WORK" <<'PY' || fail "writing the example configurations failed"
import json, sys
tasks, work = json.load(open(sys.argv[1])), sys.argv[2]
for t in tasks:
    segment = dict(t["example"], task=t["name"], num_examples=8)
    config = {"name": "example-" + t["name"],
              "data": {"vocab_size": t["example_vocab_size"], "train": [segment], "test": [segment]},
              "model": {"d_model": 16, "sequence_mixer": {"name": "attention"}}}
    json.dump(config, open(f"{work}/example-{t['name']}.json", "w"))
PY
for name in $(python3 -c 'import json,sys; print(" ".join(t["name"] for t in json.load(open(sys.argv[1]))))' \
  "$WORK/tasks.json"); do
  "$CLI" data export --config "$WORK/example-$name.json" --split test --out "$WORK/example-$name.jsonl" ||
    fail "data export of $name's example failed"
  python3 - "$WORK/example-$name.jsonl" "$name" "$WORK/tasks.json" <<'PY' || fail "$name's export is not well formed"
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
vocab = next(t for t in json.load(open(sys.argv[3])) if t["name"] == sys.argv[2])["example_vocab_size"]
assert len(rows) == 8, len(rows)
for row in rows:
    assert row["task"] == sys.argv[2], row["task"]
    assert all(0 <= x < vocab for x in row["inputs"]), row["inputs"]
    assert any(label != -100 for label in row["labels"]), row["labels"]
PY
done

$CLI tasks --help >/dev/null || fail "tasks --help"
$CLI data export --help >/dev/null || fail "data export --help"
echo "cli_tasks: ok"
