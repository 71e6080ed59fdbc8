#!/usr/bin/env bash
# The text data commands end to end: `data corpus` from a hand-made folder (a bad file reported with its
# line, skipped or refused), from a truncated .jsonl.zst, and from a tiny slice of the Debian sample texts;
# `data tokenize` with a tokenizer from `tokenizer train`: splits that add up, shard headers that match the
# file sizes, a document that decodes back to its text, and the throughput line.
source "$(dirname "$0")/lib.bash"

# A folder of text files: nested, one hidden, one not UTF-8.
mkdir -p "$WORK/notes/sub" "$WORK/notes/.cache"
printf 'First note.\nIt has two lines.\n' >"$WORK/notes/a.txt"
printf 'Second note, caf\xc3\xa9.\n' >"$WORK/notes/sub/b.txt"
printf 'fine line\nbroken \xff byte\n' >"$WORK/notes/bad.txt"
printf 'hidden\n' >"$WORK/notes/.cache/x.txt"

out=$("$CLI" data corpus --from "$WORK/notes" --out "$WORK/notes.jsonl" 2>&1)
expect_contains "$out" "$WORK/notes/bad.txt:2: invalid UTF-8 (byte 0xFF at column 8)"
expect_contains "$out" "read 2 documents"
expect_contains "$out" "1 problems skipped"
python3 - "$WORK/notes.jsonl" <<'PY' || fail "data corpus wrote the wrong documents"
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
assert [r["text"] for r in rows] == ["First note.\nIt has two lines.\n", "Second note, caf\u00e9.\n"], rows
assert all(r["meta"]["pile_set_name"] == "notes" for r in rows), rows
PY
expect_failure "$WORK/notes/bad.txt:2: invalid UTF-8" \
  "$CLI" data corpus --from "$WORK/notes" --out "$WORK/refused.jsonl" --on-error refuse
[ ! -e "$WORK/refused.jsonl" ] || fail "a refused corpus left a file behind"
expect_failure "give --from PATH" "$CLI" data corpus --out "$WORK/none.jsonl"
expect_failure "must end in .jsonl or .jsonl.zst" "$CLI" data corpus --from "$WORK/notes" --out "$WORK/x.txt"

# A Pile-format .jsonl.zst with a malformed line, then cut short: the intact lines are kept, the damage
# reported with file and line.
python3 - "$WORK/pile.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(3000):
        f.write(json.dumps({"text": f"document {i} " + "words " * (i % 50), "meta": {"pile_set_name": "Test"}}) + "\n")
        if i == 5:
            f.write('{"text": "unterminated\n')
PY
"$CLI" data corpus --from "$WORK/pile.jsonl" --out "$WORK/pile.jsonl.zst" --set-name Other >"$WORK/log" 2>&1
expect_contains "$(cat "$WORK/log")" "$WORK/pile.jsonl:7: malformed JSON"
expect_contains "$(cat "$WORK/log")" "wrote 3000 documents"
size=$(stat -c %s "$WORK/pile.jsonl.zst")
head -c $((size / 2)) "$WORK/pile.jsonl.zst" >"$WORK/cut.jsonl.zst"
out=$("$CLI" data corpus --from "$WORK/cut.jsonl.zst" --out "$WORK/rescued.jsonl" 2>&1)
expect_contains "$out" "$WORK/cut.jsonl.zst:"
expect_contains "$out" "truncated zstd stream"
python3 - "$WORK/rescued.jsonl" <<'PY' || fail "the rescued lines are wrong"
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
assert 100 < len(rows) < 3000, len(rows)
assert all(r["text"].startswith(f"document {i} ") for i, r in enumerate(rows))
assert rows[0]["meta"]["pile_set_name"] == "Test"
PY
expect_failure "truncated zstd stream" \
  "$CLI" data corpus --from "$WORK/cut.jsonl.zst" --out "$WORK/r.jsonl" --on-error refuse

# A tiny slice of the sample corpus (packages from packaging/install-deps.sh).
out=$("$CLI" data corpus --sample --sample-limit 20000 --from "$WORK/notes/a.txt" --out "$WORK/sample.jsonl")
expect_contains "$out" "sample Bible-KJV:"
expect_contains "$out" "sample Fortunes:"
expect_contains "$out" "sample Licenses:"
python3 - "$WORK/sample.jsonl" <<'PY' || fail "the sample slice is wrong"
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
sets = [r["meta"]["pile_set_name"] for r in rows]
assert sets[0] == "Bible-KJV" and rows[0]["text"].startswith("Genesis\n\n1:1 In the beginning God created"), rows[0]
assert {"Bible-KJV", "Fortunes", "Licenses"} <= set(sets) and sets[-1] == "a", sets
total = sum(len(r["text"].encode()) for r in rows)
assert 50000 < total < 150000, total
PY

# Tokenize with a tokenizer trained on the slice.
"$CLI" tokenizer train --corpus "$WORK/sample.jsonl" --vocab-size 400 --out "$WORK/tok.json" >/dev/null 2>&1
"$CLI" data tokenize --corpus "$WORK/sample.jsonl" --tokenizer "$WORK/tok.json" --out "$WORK/shards" \
  --valid-fraction 0.2 --seed 3 >"$WORK/tokenize.txt"
expect_contains "$(cat "$WORK/tokenize.txt")" "tokens/s"
python3 - "$WORK" <<'PY' || fail "the shards folder is wrong"
import json, os, struct, sys
work = sys.argv[1]
shards = f"{work}/shards"
rows = [json.loads(line) for line in open(f"{work}/sample.jsonl")]
manifest = json.load(open(f"{shards}/manifest.json"))
assert manifest["documents"] == len(rows), manifest
assert manifest["train"]["documents"] + manifest["valid"]["documents"] == len(rows), manifest
assert manifest["valid"]["documents"] == round(0.2 * len(rows)), manifest
assert manifest["vocab_size"] == 400 and manifest["tokens_per_second"] > 0, manifest

def shard(name):
    data = open(f"{shards}/{name}", "rb").read()
    assert data[:4] == b"ZTOK", name
    # Version 2: magic, version, header length, CRC-32C of the header and of the tokens, then the JSON.
    version, header_bytes = struct.unpack("<II", data[4:12])
    header = json.loads(data[20:20 + header_bytes])
    assert version == 2 and header["dtype"] == "uint16", header
    tokens = data[20 + header_bytes:]
    assert len(tokens) == 2 * header["tokens"], (name, len(tokens), header)
    return header, list(struct.unpack(f"<{header['tokens']}H", tokens))

train_header, train = shard("train.ztok")
valid_header, valid = shard("valid.ztok")
eot = train_header["end_of_text"]
assert eot == 399 and train.count(eot) == manifest["train"]["documents"] and valid.count(eot) == valid_header["documents"]
assert train_header["tokens"] == manifest["train"]["tokens"]
first = train[:train.index(eot)]
json.dump(first, open(f"{work}/first.json", "w"))
bigrams = open(f"{shards}/bigrams.zbg", "rb").read()
assert bigrams[:4] == b"ZBGM", bigrams[:4]
assert os.path.exists(f"{shards}/tokenizer.json")
PY
# The first training document decodes back to a document of the corpus.
"$CLI" tokenizer decode --tokenizer "$WORK/shards/tokenizer.json" --in "$WORK/first.json" >"$WORK/first.txt"
python3 - "$WORK" <<'PY' || fail "the first training document does not decode to a corpus document"
import json, sys
work = sys.argv[1]
texts = [json.loads(line)["text"] for line in open(f"{work}/sample.jsonl")]
decoded = open(f"{work}/first.txt", encoding="utf-8").read()
assert decoded in texts, decoded[:200]
PY

# The same split again: identical shards; a refusing run stops at a bad corpus.
"$CLI" data tokenize --corpus "$WORK/sample.jsonl" --tokenizer "$WORK/tok.json" --out "$WORK/again" \
  --valid-fraction 0.2 --seed 3 --json >"$WORK/again.json"
cmp -s "$WORK/shards/train.ztok" "$WORK/again/train.ztok" || fail "tokenize is not deterministic"
expect_failure "$WORK/notes/bad.txt:2: invalid UTF-8" \
  "$CLI" data tokenize --corpus "$WORK/notes" --tokenizer "$WORK/tok.json" --out "$WORK/bad" --on-error refuse
expect_failure "tokenizer" "$CLI" data tokenize --corpus "$WORK/sample.jsonl" --tokenizer "$WORK/missing.json" \
  --out "$WORK/m"
echo "cli_text_data: ok"
