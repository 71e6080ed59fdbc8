#!/usr/bin/env bash
# Data parallel (`--nproc 2`: two ranks on loopback, Gloo): a tiny MQAR and a tiny text run give the
# single process's per-step losses and final weights; a killed rank leaves the run interrupted (never a
# hang) with a message naming it, and `resume --nproc 2` finishes it.
source "$(dirname "$0")/lib.bash"

python3 - "$SRC/tests/app/tiny.json" >"$WORK/mqar.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["train"]["max_epochs"] = 2
c["train"]["early_stopping_threshold"] = 2.0
c["model"].update(embed_dropout=0.0, resid_dropout=0.0)
c["model"]["sequence_mixer"]["kwargs"]["dropout"] = 0.0
c["data"]["batch_size"] = [31, 128]  # rows that do not split evenly over 2 ranks
print(json.dumps(c))
PY

# The same run in one process and in two; losses per step and weights compared.
compare() {  # compare NAME_SINGLE NAME_PARALLEL
  "$CLI" export "$1" --format safetensors --out "$WORK/$1.safetensors" >/dev/null
  "$CLI" export "$2" --format safetensors --out "$WORK/$2.safetensors" >/dev/null
  python3 - "$ZOOLAB_DB" "$1" "$2" "$WORK/$1.safetensors" "$WORK/$2.safetensors" <<'PY' || fail "$2 differs from $1"
import array, json, sqlite3, struct, sys
db, single, parallel, file_a, file_b = sys.argv[1:]
con = sqlite3.connect(db)
def losses(name):
    return con.execute("SELECT m.step, m.value FROM metrics m JOIN runs r ON r.id = m.run_id "
                       "WHERE r.name = ? AND m.key = 'train/loss' ORDER BY m.step", (name,)).fetchall()
a, b = losses(single), losses(parallel)
assert len(a) == len(b) > 0, (len(a), len(b))
worst = max(abs(x[1] - y[1]) for x, y in zip(a, b))
assert all(x[0] == y[0] for x, y in zip(a, b))
assert worst < 1e-5, f"per-step losses differ by {worst}"
def tensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        assert info["dtype"] == "F32", info
        out[name] = array.array("f", raw[8 + n + start:8 + n + end])
    return out
ta, tb = tensors(file_a), tensors(file_b)
assert ta.keys() == tb.keys()
for name in ta:
    x, y = list(ta[name]), list(tb[name])
    if name.endswith("Wqkv.bias"):
        # The key bias adds the same amount to every score of a query, which softmax ignores: its true
        # gradient is 0, and AdamW turns the rounding noise it gets (which differs with the summation
        # order) into steps of the learning rate's size. The query and value biases are compared.
        third = len(x) // 3
        x, y = x[:third] + x[2 * third:], y[:third] + y[2 * third:]
    scale = max([1.0] + [abs(v) for v in x])
    diff = max(abs(u - v) for u, v in zip(x, y))
    assert diff <= 1e-5 * scale, f"{name}: weights differ by {diff} (scale {scale})"
print(f"{parallel}: {len(a)} steps, losses within {worst:.2e}")
PY
}

"$CLI" train --config "$WORK/mqar.json" --threads 1 --name mqar-1 --quiet >/dev/null || fail "single MQAR run failed"
"$CLI" train --config "$WORK/mqar.json" --threads 2 --nproc 2 --name mqar-2 >"$WORK/mqar2.log" 2>&1 ||
  fail "2-rank MQAR run failed: $(cat "$WORK/mqar2.log")"
expect_contains "$(cat "$WORK/mqar2.log")" "2 ranks on this machine, 1 thread(s) each"
compare mqar-1 mqar-2
# One writer: one run row, one train/loss point per step.
[ "$(sqlite3 "$ZOOLAB_DB" "SELECT COUNT(*) FROM runs WHERE name = 'mqar-2'")" = 1 ] || fail "rank 1 created a run"
[ "$(sqlite3 "$ZOOLAB_DB" "SELECT COUNT(*) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.name = 'mqar-2' AND m.key = 'train/loss'")" = 134 ] ||
  fail "expected 134 train/loss points (2 epochs of 67 batches)"

# Text: a small corpus, a BPE vocabulary of 300, context 16.
mkdir -p "$WORK/notes"
python3 - "$WORK/notes" <<'PY'
import random, sys
random.seed(1)
words = "the cat sat on a mat while key value pairs recall tokens gate convolution attention model".split()
for f in range(4):
    with open(f"{sys.argv[1]}/n{f}.txt", "w") as out:
        out.write(" ".join(random.choice(words) for _ in range(6000)) + "\n")
PY
"$CLI" data corpus --from "$WORK/notes" --out "$WORK/corpus.jsonl" >/dev/null 2>&1 || fail "data corpus failed"
"$CLI" tokenizer train --corpus "$WORK/corpus.jsonl" --vocab-size 300 --out "$WORK/tok.json" >/dev/null 2>&1 ||
  fail "tokenizer train failed"
"$CLI" data tokenize --corpus "$WORK/corpus.jsonl" --tokenizer "$WORK/tok.json" --out "$WORK/shards" \
  --valid-fraction 0.2 --seed 3 >/dev/null 2>&1 || fail "data tokenize failed"
python3 - "$SRC/resources/presets/text-tiny-attention.json" >"$WORK/text.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["name"] = "text-dp"
c["data"]["vocab_size"] = 320
c["data"]["batch_size"] = [7, 8]
c["data"]["text"].update(context_length=16, train_tokens=7 * 16 * 24, valid_sequences=8)
c["model"].update(d_model=32, max_position_embeddings=16)
c["train"].update(warmup_steps=4, eval_interval=12)
print(json.dumps(c))
PY
"$CLI" train --config "$WORK/text.json" --shards "$WORK/shards" --threads 1 --name text-1 --quiet >/dev/null ||
  fail "single text run failed"
"$CLI" train --config "$WORK/text.json" --shards "$WORK/shards" --threads 2 --nproc 2 --name text-2 \
  >"$WORK/text2.log" 2>&1 || fail "2-rank text run failed: $(cat "$WORK/text2.log")"
compare text-1 text-2

# A killed rank: rank 0 marks the run interrupted within the (short) timeout, naming rank 1.
python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c['train']['max_epochs']=40; print(json.dumps(c))" \
  "$WORK/mqar.json" >"$WORK/long.json"
"$CLI" train --config "$WORK/long.json" --threads 2 --nproc 2 --name killed --collective-timeout 20 \
  >"$WORK/killed.log" 2>&1 &
pid=$!
wait_for_epochs killed 1
child=$(pgrep -P $pid)
[ -n "$child" ] || fail "no rank 1 under rank 0 (pid $pid)"
kill -9 "$child"
start=$(date +%s)
set +e
wait $pid
code=$?
set -e
[ $(($(date +%s) - start)) -le 25 ] || fail "rank 0 took longer than the timeout to stop"
[ "$code" -ne 0 ] || fail "rank 0 exited 0 after rank 1 was killed"
json=$("$CLI" show killed --json)
[ "$(json_field "['status']" <<<"$json")" = interrupted ] || fail "a killed rank left the run $(json_field "['status']" <<<"$json")"
expect_contains "$(cat "$WORK/killed.log")" "rank 1 (pid $child) was killed by signal 9"
expect_contains "$json" "rank(s) 1 left no reason"
"$CLI" resume killed --nproc 2 --threads 2 >"$WORK/resume.log" 2>&1 || fail "resume --nproc 2 failed: $(cat "$WORK/resume.log")"
expect_contains "$(cat "$WORK/resume.log")" "resuming at epoch"
[ "$("$CLI" show killed --json | json_field "['status']")" = finished ] || fail "the resumed run did not finish"

# The environment is checked before anything starts, naming the variable.
out=$(WORLD_SIZE=2 RANK=5 "$CLI" train --config "$WORK/mqar.json" 2>&1) && fail "RANK=5 of 2 was accepted"
expect_contains "$out" 'RANK="5"'
out=$(WORLD_SIZE=2 RANK=1 "$CLI" train --config "$WORK/mqar.json" 2>&1) && fail "no MASTER_ADDR was accepted"
expect_contains "$out" "MASTER_ADDR is not set"
echo "cli_data_parallel: ok"
