#!/usr/bin/env bash
# analyze reads a run's per-token validation losses: the slice table and --json agree with numbers
# worked out by hand, --vs gives the gap decomposition, and the errors say what is wrong. The losses are
# written here with Python (the "ZTLS" blob of engine/text/token_losses.h) into queued runs, so the test
# needs no training; the end-to-end check on a trained text run is in the text demo's test.
source "$(dirname "$0")/lib.bash"
TINY="$SRC/tests/app/tiny.json"

a=$("$CLI" enqueue --config "$TINY" --name run-a --quiet)
b=$("$CLI" enqueue --config "$TINY" --name run-b --quiet)
c=$("$CLI" enqueue --config "$TINY" --name other-tokens --quiet)
d=$("$CLI" enqueue --config "$TINY" --name no-losses --quiet)

python3 - "$ZOOLAB_DB" "$a" "$b" "$c" <<'PY' || fail "could not write token losses"
import json, math, sqlite3, struct, sys
db, a, b, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
nan = float("nan")
ln2 = math.log(2)

def blob(step, tokens, losses, counts):
    header = json.dumps({"step": step, "epoch": 1, "sequences": 2, "length": 5, "shards": "/s"}).encode()
    out = b"ZTLS" + struct.pack("<II", 1, len(header)) + header
    for t, l, n in zip(tokens, losses, counts):
        out += struct.pack("<ifI", t, l, n)
    return out

# seq 0: 1 2 1 2 1 (hits at 3, 4: distance 2); seq 1: 3 3 3 3 4 (hits at 2, 3: distance 1; 4 is NaN).
tokens = [1, 2, 1, 2, 1, 3, 3, 3, 3, 4]
counts = [0, 7, 3, 5, 1000, 0, 12, 999, 5000, 1]
losses_a = [nan] + [k * ln2 for k in (1, 3, 1, 3)] + [nan] + [k * ln2 for k in (2, 1, 5)] + [nan]
losses_b = [nan if i % 5 == 0 else ln2 for i in range(10)]
con = sqlite3.connect(db)
rows = [(a, 300, tokens, losses_a), (b, 200, tokens, losses_b), (c, 200, [9] + tokens[1:], losses_b)]
for run, step, t, l in rows:
    data = blob(step, t, l, counts)
    con.execute("INSERT INTO token_losses (run_id, step, epoch, bytes, blob) VALUES (?, ?, 1, ?, ?)",
                (run, step, len(data), data))
con.commit()
PY

"$CLI" analyze "$a" --json >"$WORK/a.json"
"$CLI" analyze run-a --vs run-b --json >"$WORK/ab.json"
"$CLI" analyze "$a" --json --frequency-cutoff 6 >"$WORK/cut6.json"
python3 - "$WORK" <<'PY' || fail "analyze --json disagrees with the hand-computed numbers"
import json, math, sys
work = sys.argv[1]
a = json.load(open(f"{work}/a.json"))
close = lambda x, y: abs(x - y) <= 1e-5 * max(1.0, abs(y))
assert a["step"] == 300 and a["run"]["name"] == "run-a" and a["run"]["length"] == 5, a["run"]
assert a["overall"]["tokens"] == 7 and close(a["overall"]["perplexity"], 2 ** (16 / 7)), a["overall"]
assert a["ar_hits"]["tokens"] == 4 and close(a["ar_hits"]["perplexity"], 2 ** 2.5), a["ar_hits"]
assert a["other"]["tokens"] == 3 and close(a["other"]["perplexity"], 4.0), a["other"]
freq = {s["name"]: s for s in a["ar_hits_by_frequency"]}
assert close(freq["ar_hits/train_count<1000"]["perplexity"], 2.0), freq
assert close(freq["ar_hits/train_count>=1000"]["perplexity"], 16.0), freq
dist = a["ar_hits_by_distance"]
assert dist[0]["name"] == "ar_hits/distance 1-15" and dist[0]["tokens"] == 4, dist
assert all(s["tokens"] == 0 and s["perplexity"] is None for s in dist[1:]), dist
assert "gap_share_ar_hits" not in a and "vs" not in a

ab = json.load(open(f"{work}/ab.json"))
assert ab["vs"]["run"]["name"] == "run-b" and ab["vs"]["step"] == 200, ab["vs"]["run"]
assert close(ab["vs"]["overall"]["perplexity"], 2.0), ab["vs"]["overall"]
gap = ab["gap"]
assert close(ab["gap_share_ar_hits"], 2 / 3) and close(gap["gap_share_ar_hits"], 2 / 3), gap
assert close(gap["ar_hit_token_share"], 4 / 7), gap
assert close(gap["loss_difference_sum"], 9 * math.log(2)), gap
assert close(gap["perplexity_gap"], 2 ** (16 / 7) - 2), gap

cut = json.load(open(f"{work}/cut6.json"))
assert cut["frequency_cutoff"] == 6 and cut["ar_hits_by_frequency"][0]["tokens"] == 1, cut["ar_hits_by_frequency"]
PY

# The table: one row per slice, both runs side by side, and the decomposition.
out=$("$CLI" analyze run-a --vs run-b)
expect_contains "$out" "ar_hits/train_count>=1000"
expect_contains "$out" "ppl B"
expect_contains "$out" "share of the difference on AR hits  66.7%  (AR hits are 57.1% of the tokens)"
row=$(grep -E '^ +other ' <<<"$out")
expect_contains "$row" "42.86%"
expect_contains "$row" "4.000"

expect_failure "is not a text run or has not validated yet" "$CLI" analyze no-losses
expect_failure "different tokens (sequence 0, position 0: token 1 against 9)" "$CLI" analyze run-a --vs other-tokens
expect_failure "no run \"nope\"" "$CLI" analyze nope
echo "cli_analyze: ok"
