#!/usr/bin/env bash
# Damaged and hostile files end to end. A checkpoint with a flipped payload bit, or a header that points
# outside the run (batch -3) under a valid checksum, makes `resume` exit 2 and leaves the run interrupted
# with the reason; the restored file resumes it. A safetensors file with a NaN weight is not imported. A
# token shard whose count wraps around in 64-bit arithmetic (2^62 + 4 uint32 tokens) is refused by name,
# not mapped and read past its end (exit 2, not SIGSEGV).
source "$(dirname "$0")/lib.bash"
TINY="$SRC/tests/app/tiny.json"

# CRC-32C (Castagnoli, reflected 0x82F63B78), as engine/formats/crc32c.h: the tests write files by hand.
cat >"$WORK/crc32c.py" <<'PY'
def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF
assert crc32c(b"123456789") == 0xE3069283
PY
export PYTHONPATH="$WORK"

id=$("$CLI" train --config "$TINY" --set train.max_epochs=1 --threads 1 --quiet | tail -n 1)
# Paths are recorded relative to the database's files folder.
ckpt="$ZOOLAB_DB.files/$(sqlite3 "$ZOOLAB_DB" "SELECT path FROM checkpoints WHERE run_id = $id ORDER BY id DESC LIMIT 1")"
[ -s "$ckpt" ] || fail "no checkpoint at '$ckpt'"
cp "$ckpt" "$WORK/good.zlck"
status() { sqlite3 "$ZOOLAB_DB" "SELECT status FROM runs WHERE id = $id"; }
# As if killed after its last checkpoint: resumable, and resuming it only finishes it.
sqlite3 "$ZOOLAB_DB" "UPDATE runs SET status = 'interrupted' WHERE id = $id"

# expect_resume_refused TEXT: resume exits 2 with TEXT in its output and leaves the run interrupted.
expect_resume_refused() {
  expect_code 2 "$CLI" resume "$id" --threads 1
  expect_contains "$out" "$1"
  expect_contains "$out" "checkpoint $ckpt: "
  [ "$(status)" = interrupted ] || fail "the run is $(status) after a refused resume, not interrupted"
  expect_contains "$(sqlite3 "$ZOOLAB_DB" "SELECT error FROM runs WHERE id = $id")" "$1"
}

python3 - "$ckpt" <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
data[len(data) // 2] ^= 0x04  # a bit in the middle of the torch payload
open(path, "wb").write(data)
PY
expect_resume_refused "checksum mismatch"

python3 - "$WORK/good.zlck" "$ckpt" <<'PY'
import json, struct, sys
from crc32c import crc32c
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"ZLCKPT\0\0" and struct.unpack_from("<I", data, 8)[0] == 2
(n,) = struct.unpack_from("<Q", data, 12)
header = json.loads(data[20:20 + n])
header["batch"] = -3
text = json.dumps(header).encode()
body = data[:8] + struct.pack("<IQ", 2, len(text)) + text + data[20 + n:-4]
open(sys.argv[2], "wb").write(body + struct.pack("<I", crc32c(body)))
PY
expect_resume_refused 'header field "batch" is -3'

cp "$WORK/good.zlck" "$ckpt"
"$CLI" resume "$id" --threads 1 --quiet >/dev/null || fail "resume from the restored checkpoint failed"
[ "$(status)" = finished ] || fail "the restored run is $(status), not finished"

# A NaN weight: refused naming the tensor, no run recorded.
"$CLI" export "$id" --out "$WORK/w.safetensors" >/dev/null
python3 - "$WORK/w.safetensors" <<'PY'
import json, struct, sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
(n,) = struct.unpack_from("<Q", data, 0)
begin, _ = json.loads(data[8:8 + n])["backbone.ln_f.weight"]["data_offsets"]
struct.pack_into("<f", data, 8 + n + begin + 4, float("nan"))
open(path, "wb").write(data)
PY
runs=$(sqlite3 "$ZOOLAB_DB" "SELECT COUNT(*) FROM runs")
set +e
out=$("$CLI" import "$WORK/w.safetensors" --config "$TINY" 2>&1)
code=$?
set -e
[ "$code" -eq 2 ] || fail "import of a NaN weight exited $code (expected 2): $out"
expect_contains "$out" 'tensor "backbone.ln_f.weight" holds 1 non-finite value'
[ "$(sqlite3 "$ZOOLAB_DB" "SELECT COUNT(*) FROM runs")" = "$runs" ] || fail "a refused import recorded a run"

# A token shard whose header says 2^62 + 4 uint32 tokens: 4 · (2^62 + 4) is 16 mod 2^64, the size of the
# 4 tokens that follow. Written with valid checksums, so only the count can give it away.
mkdir -p "$WORK/shards"
python3 - "$WORK/shards" <<'PY'
import json, struct, sys
from crc32c import crc32c
folder = sys.argv[1]
def ztok(tokens, count):
    header = json.dumps({"vocab_size": 70000, "dtype": "uint32", "tokens": count, "documents": 1,
                         "end_of_text": -1}).encode().ljust(236)
    data = struct.pack(f"<{len(tokens)}I", *tokens)
    return b"ZTOK" + struct.pack("<IIII", 2, len(header), crc32c(header), crc32c(data)) + header + data
open(f"{folder}/train.ztok", "wb").write(ztok([1, 2, 3, 4], 2**62 + 4))
open(f"{folder}/valid.ztok", "wb").write(ztok([1, 2, 3, 4], 4))
PY
set +e
out=$("$CLI" train --preset text-tiny-attention --shards "$WORK/shards" --threads 1 2>&1)
code=$?
set -e
[ "$code" -eq 2 ] || fail "training on a lying shard exited $code (expected 2): $out"
expect_contains "$out" "$WORK/shards/train.ztok: the file is truncated: header field \"tokens\" promises 4611686018427387908"
echo "cli_damaged_files: ok"
