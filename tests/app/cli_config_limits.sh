#!/usr/bin/env bash
# Hostile configurations and command lines: each is refused with exit code 2 and a message that names the
# field and what is allowed, before anything large is allocated (no signal, no std::bad_alloc, and the
# process stays small).
source "$(dirname "$0")/lib.bash"
TINY="$SRC/tests/app/tiny.json"

# expect_refused TEXT command...: exit code 2 with TEXT in the output, and a peak resident size under
# 1.5 GiB (LibTorch alone takes a few hundred MiB): the refusal came from an estimate, not an allocation.
expect_refused() {
  local text=$1
  shift
  set +e
  out=$(python3 - "$@" 2>&1 <<'PY'
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"peak_kib={peak_kib}")
sys.exit(code if code >= 0 else 128 - code)
PY
  )
  code=$?
  set -e
  [ "$code" -eq 2 ] || fail "exit code $code (expected 2) for $*; output: ${out:0:3000}"
  expect_contains "$out" "$text"
  local peak
  peak=$(sed -n 's/^peak_kib=//p' <<<"$out")
  [ "${peak:-0}" -lt $((1536 * 1024)) ] || fail "$* peaked at ${peak} KiB before refusing"
}
MQAR=(data mqar --preset mqar-quick --split train --out "$WORK/x.jsonl")

# --- Products of configured sizes that overflow int64 (they used to wrap and write out of bounds).
expect_refused 'data.train[0].num_passes: 4611686018427387904 passes' \
  "$CLI" "${MQAR[@]}" --set data.train.0.num_passes=4611686018427387904
expect_contains "$out" "input_seq_len 64 holds at most 7 passes"
expect_refused 'data.train[0].num_examples: 1152921504606846976 examples of 64 tokens need more than 2^64 bytes' \
  "$CLI" "${MQAR[@]}" --set data.train.0.num_examples=1152921504606846976
# A batch of 2^62 sequences used to make the step count divide by zero while validating; any folder does
# for --shards, since validation comes first.
expect_refused 'data.batch_size: expected an integer in [1, 1048576]' \
  "$CLI" train --preset text-tiny-attention --shards "$WORK" --set data.batch_size=4611686018427387904 \
  --set data.text.context_length=4

# --- Sizes within int64 that no machine holds: refused by the field's bound or by the memory estimate.
expect_refused 'model.n_layers: expected an integer in [1, 1024], got 1099511627776' \
  "$CLI" train --preset mqar-quick --set model.n_layers=1099511627776
expect_refused 'model.d_model: expected an integer in [1, 65536], got 1000000' \
  "$CLI" train --preset mqar-quick --set model.d_model=1000000
expect_refused 'data.train[0].num_examples: 1000000000000 examples of 64 tokens' \
  "$CLI" train --preset mqar-quick --set data.train.0.num_examples=1000000000000
expect_contains "$out" "more than the limit of"
# Within every bound, but 1024 layers of width 4096 are 200 billion parameters: estimated, not built.
ZOOLAB_MEMORY_LIMIT=4G expect_refused 'model.n_layers: 1024 is too large: the run needs about' \
  "$CLI" train --preset mqar-quick --set model.n_layers=1024 --set model.d_model=4096
expect_contains "$out" "more than the limit of 4.0 GiB (ZOOLAB_MEMORY_LIMIT)"
expect_refused 'model.sequence_mixer.kwargs.l_max: value 1099511627776 is out of range; allowed [1, 1048576]' \
  "$CLI" train --preset fig2-base_conv-L64-d64 --set model.sequence_mixer.kwargs.l_max=1099511627776

# --- JSON that breaks the strict rules, from every entry point.
python3 -c "print('[' * 100000 + ']' * 100000)" >"$WORK/deep.json"
expect_refused 'nested deeper than 64 levels' "$CLI" train --config "$WORK/deep.json"
deep_value=$(python3 -c "print('[' * 50000 + ']' * 50000)")
expect_refused 'nested deeper than 64 levels' \
  "$CLI" train --config "$TINY" --set "model.sequence_mixer.kwargs.num_heads=$deep_value"
# A second "model" object used to replace the first without a word.
python3 - "$TINY" >"$WORK/twice.json" <<'PY'
import sys
text = open(sys.argv[1]).read()
print(text.replace('"model": {', '"model": {"d_model": 16},\n  "model": {', 1))
PY
expect_refused 'duplicate key "model" at the top level' "$CLI" train --config "$WORK/twice.json"
expect_refused 'model.sequence_mixer.kwargs: the value given with --set: duplicate key "num_heads"' \
  "$CLI" train --config "$TINY" --set 'model.sequence_mixer.kwargs={"num_heads": 1, "num_heads": 2}'
python3 - "$TINY" >"$WORK/sweep-twice.json" <<'PY'
import json, sys
base = json.load(open(sys.argv[1]))
print('{"name": "twice", "base": %s, "grid": {"model.d_model": [16, 32], "model.d_model": [64]}}' % json.dumps(base))
PY
expect_refused 'duplicate key "model.d_model" in grid' "$CLI" sweep "$WORK/sweep-twice.json" --dry-run

# --- Tiny files that describe huge things.
python3 - "$TINY" >"$WORK/sweep-huge.json" <<'PY'
import json, sys
base = json.load(open(sys.argv[1]))
grid = [[path, list(range(1, 31))] for path in
        ["seed", "data.seed", "train.max_epochs", "model.n_layers", "model.d_model", "data.vocab_size",
         "model.sequence_mixer.kwargs.num_heads"]]
print(json.dumps({"name": "huge", "base": base, "grid": grid}))
PY
expect_refused 'grid: 21870000000 points; a sweep may have at most 100000' "$CLI" sweep "$WORK/sweep-huge.json" --dry-run
python3 - >"$WORK/tokenizer.json" <<'PY'
import json
vocab = {chr(0x21 + i): i for i in range(200)}
vocab["big"] = 100000000
print(json.dumps({"model": {"type": "BPE", "vocab": vocab, "merges": []},
                  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True}}))
PY
expect_refused "token 'big' has id 100000000; with 201 tokens in the file the ids must be 0..200" \
  bash -c 'echo hello | "$0" tokenizer encode --tokenizer "$1"' "$CLI" "$WORK/tokenizer.json"

[ ! -e "$ZOOLAB_DB" ] || [ "$("$CLI" runs --json | json_field '.__len__()')" -eq 0 ] || fail "a refused config created a run"
echo "cli_config_limits: ok"
