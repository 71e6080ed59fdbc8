#!/usr/bin/env bash
# The text pipeline end to end on real language: `demo text` builds the sample corpus from the
# Debian packages install-deps.sh installs, learns a BPE vocabulary, tokenizes, trains the tiny attention
# and BaseConv presets (on a small token budget here: the pipeline, not the science) and prints both
# runs' slices. `analyze --json` is then checked against an independent reading of the stored per-token
# losses (Python: the ZTLS blob, its own AR-hit classification), and a second demo call reuses everything.
source "$(dirname "$0")/lib.bash"
DEMO="$WORK/demo"

"$CLI" demo text --dir "$DEMO" --train-tokens 65536 --threads 2 >"$WORK/demo.log" 2>&1 ||
  { cat "$WORK/demo.log"; fail "demo text failed"; }
log=$(cat "$WORK/demo.log")
for text in "wrote $DEMO/sample.jsonl.zst" "learned 4096 tokens" "distinct training bigrams" \
  "text-tiny-attention-65536tok" "text-tiny-baseconv-65536tok" "ar_hits/train_count<1000" \
  "share of the difference on AR hits"; do
  expect_contains "$log" "$text"
done
for f in sample.jsonl.zst tokenizer.json shards/train.ztok shards/valid.ztok shards/bigrams.zbg shards/tokenizer.json; do
  [ -s "$DEMO/$f" ] || fail "the demo did not write $f"
done

"$CLI" analyze text-tiny-baseconv-65536tok --vs text-tiny-attention-65536tok --json >"$WORK/gap.json"
python3 - "$ZOOLAB_DB" "$WORK/gap.json" <<'PY' || fail "analyze --json disagrees with the stored token losses"
import json, math, sqlite3, struct, sys
db, gap_path = sys.argv[1], sys.argv[2]
out = json.load(open(gap_path))

def token_losses(name):
    con = sqlite3.connect(db)
    (blob,) = con.execute("SELECT t.blob FROM token_losses t JOIN runs r ON r.id = t.run_id WHERE r.name = ?",
                          (name,)).fetchone()
    assert blob[:4] == b"ZTLS", blob[:4]
    # Version 2: magic, version, header length, CRC-32C of the header and of the records, then the JSON.
    version, header_bytes = struct.unpack_from("<II", blob, 4)
    header = json.loads(blob[20:20 + header_bytes])
    n, length = header["sequences"], header["length"]
    records = list(struct.iter_unpack("<ifI", blob[20 + header_bytes:]))
    assert version == 2 and len(records) == n * length, (version, len(records), n, length)
    return n, length, records

def slices(name):
    n, length, records = token_losses(name)
    hits, other = [], []
    for s in range(n):
        seq = records[s * length:(s + 1) * length]
        seen = set()
        for i in range(1, length):
            bigram = (seq[i - 1][0], seq[i][0])
            (hits if bigram in seen else other).append(seq[i][1])
            seen.add(bigram)
    return hits, other

def check(json_slices, name):
    hits, other = slices(name)
    everything = hits + other
    for key, losses in (("overall", everything), ("ar_hits", hits), ("other", other)):
        got = json_slices[key]
        ppl = math.exp(sum(losses) / len(losses))
        assert got["tokens"] == len(losses), (name, key, got["tokens"], len(losses))
        assert abs(got["perplexity"] - ppl) <= 1e-4 * ppl, (name, key, got["perplexity"], ppl)
        assert 1.0 < ppl < 4096.0, (name, key, ppl)
    assert len(hits) > 0 and len(other) > 0
    return hits, other

hits_a, other_a = check(out, "text-tiny-baseconv-65536tok")
hits_b, other_b = check(out["vs"], "text-tiny-attention-65536tok")
total = sum(hits_a) + sum(other_a) - sum(hits_b) - sum(other_b)
share = (sum(hits_a) - sum(hits_b)) / total
assert abs(out["gap_share_ar_hits"] - share) <= 1e-3 * max(1.0, abs(share)), (out["gap_share_ar_hits"], share)
assert out["run"]["name"] == "text-tiny-baseconv-65536tok" and out["vs"]["run"]["length"] == 129, out["run"]
PY

# valid/perplexity of the run is exp of the mean stored token loss (the same validation tokens).
"$CLI" show text-tiny-attention-65536tok --json >"$WORK/show.json"
python3 - "$WORK/show.json" "$WORK/gap.json" <<'PY' || fail "valid/perplexity disagrees with the analysis"
import json, sys
show, gap = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ppl = show["metrics"]["valid/perplexity"]
assert abs(ppl - gap["vs"]["overall"]["perplexity"]) <= 1e-3 * ppl, (ppl, gap["vs"]["overall"])
PY

# A second call trains nothing: every stage and both runs are reused.
"$CLI" demo text --dir "$DEMO" --train-tokens 65536 --threads 2 >"$WORK/again.log" 2>&1 ||
  { cat "$WORK/again.log"; fail "the second demo call failed"; }
again=$(cat "$WORK/again.log")
expect_contains "$again" "reusing $DEMO/tokenizer.json"
expect_contains "$again" "reusing run"
[ "$(grep -c 'reusing run' "$WORK/again.log")" -eq 2 ] || fail "expected both runs reused: $again"
[ "$("$CLI" runs --json | json_field '.__len__()')" -eq 2 ] || fail "the second call added runs"

expect_failure "--train-tokens" "$CLI" demo text --dir "$DEMO" --train-tokens -5

# A folder made with another vocabulary is refused, not silently reused: the tokenizer of 4096 tokens
# against --vocab-size 1000, then shards of 4096 tokens beside a tokenizer of 300.
expect_failure "has 4096 tokens, not the 1000 of --vocab-size" \
  "$CLI" demo text --dir "$DEMO" --vocab-size 1000 --train-tokens 65536 --threads 2
expect_contains "$out" "pass another --dir, or delete $DEMO"
mkdir "$WORK/demo300"
ln -s "$DEMO/sample.jsonl.zst" "$WORK/demo300/sample.jsonl.zst"
ln -s "$DEMO/shards" "$WORK/demo300/shards"
"$CLI" tokenizer train --corpus "$DEMO/sample.jsonl.zst" --vocab-size 300 --out "$WORK/demo300/tokenizer.json" \
  >/dev/null 2>&1 || fail "tokenizer train failed"
expect_failure "$WORK/demo300/shards/train.ztok has vocab_size 4096" \
  "$CLI" demo text --dir "$WORK/demo300" --vocab-size 300 --train-tokens 65536 --threads 2
expect_contains "$out" "has 300 tokens: the shards were made with another tokenizer"
[ "$("$CLI" runs --json | json_field '.__len__()')" -eq 2 ] || fail "a refused demo call added runs"
echo "cli_text_demo: ok"
