#!/usr/bin/env bash
# zoolab-cli tokenizer encode / decode / train end to end (GPT-2's files from tests/engine/text/data/gpt2).
source "$(dirname "$0")/lib.bash" "$@"
GPT2="$SRC/tests/engine/text/data/gpt2"

# encode from standard input and from --in; GPT-2's ids (checked with gpt-3-encoder).
ids=$(printf "Hello, world! I'm here   \n\n  they'll\tgo" | "$CLI" tokenizer encode --tokenizer "$GPT2")
[ "$ids" = "[15496,11,995,0,314,1101,994,220,220,220,628,220,484,1183,197,2188]" ] || fail "gpt2 ids: $ids"
printf 'caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 123' >"$WORK/text.txt"
"$CLI" tokenizer encode --tokenizer "$GPT2" --in "$WORK/text.txt" >"$WORK/ids.json"
"$CLI" tokenizer decode --tokenizer "$GPT2" --in "$WORK/ids.json" >"$WORK/back.txt"
cmp "$WORK/text.txt" "$WORK/back.txt" || fail "decode(encode(x)) != x"

# train on a Pile-format corpus, then use the result.
python3 - "$WORK/corpus.jsonl" <<'PY'
import json, sys
lines = ["the quick brown fox jumps over the lazy dog " * 20, "a stitch in time saves nine; the early bird " * 20]
with open(sys.argv[1], "w") as f:
    for i, text in enumerate(lines * 5):
        f.write(json.dumps({"text": text, "meta": {"pile_set_name": "Demo"}}) + "\n")
    f.write("{not json\n")
PY
expect_failure "corpus.jsonl:11" "$CLI" tokenizer train --corpus "$WORK/corpus.jsonl" --vocab-size 280 \
  --out "$WORK/tok.json" --on-bad-input refuse
"$CLI" tokenizer train --corpus "$WORK/corpus.jsonl" --vocab-size 280 --out "$WORK/tok.json" 2>"$WORK/train.log"
expect_contains "$(cat "$WORK/train.log")" "280 tokens"
vocab=$(json_field "['model']['vocab'].__len__()" <"$WORK/tok.json")
[ "$vocab" = 280 ] || fail "trained vocab has $vocab tokens"
ids=$(echo -n "the quick brown fox" | "$CLI" tokenizer encode --tokenizer "$WORK/tok.json")
text=$(echo "$ids" | "$CLI" tokenizer decode --tokenizer "$WORK/tok.json")
[ "$text" = "the quick brown fox" ] || fail "trained round trip gave '$text'"

# errors name what is wrong
expect_failure "does not exist" "$CLI" tokenizer encode --tokenizer "$WORK/none.json" --in "$WORK/text.txt"
expect_failure "expected an array of ids" "$CLI" tokenizer decode --tokenizer "$GPT2" --in "$WORK/text.txt"
expect_failure "at least 257" "$CLI" tokenizer train --corpus "$WORK/corpus.jsonl" --vocab-size 100 --out "$WORK/x.json"
echo "cli_tokenizer: ok"
