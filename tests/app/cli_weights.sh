#!/usr/bin/env bash
# export writes a run's weights as safetensors; import evaluates them into a new finished run with the
# same valid/accuracy; a truncated file is refused.
source "$(dirname "$0")/lib.bash"
TINY="$SRC/tests/app/tiny.json"

id=$("$CLI" train --config "$TINY" --threads 1 --quiet | tail -n 1)
"$CLI" export "$id" --format safetensors --out "$WORK/tiny.safetensors" >/dev/null
[ -s "$WORK/tiny.safetensors" ] || fail "export wrote nothing"

# A pure-Python reader (json + struct only) sees Zoology's names and the tied head.
python3 - "$WORK/tiny.safetensors" <<'PY' || fail "the exported file does not read as safetensors"
import json, struct, sys
data = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + n])
meta = header.pop("__metadata__")
assert meta["format"] == "zoolab" and json.loads(meta["zoolab_config"])["name"] == "cli-tiny"
buffer = data[8 + n:]
spans = sorted(tuple(v["data_offsets"]) for v in header.values())
assert spans[0][0] == 0 and spans[-1][1] == len(buffer)
assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
def raw(name):
    begin, end = header[name]["data_offsets"]
    return buffer[begin:end]
emb = "backbone.embeddings.word_embeddings.weight"
assert header[emb]["shape"] == [64, 32] and header[emb]["dtype"] == "F32"
assert raw("lm_head.weight") == raw(emb)
assert "backbone.layers.1.sequence_mixer.Wqkv.weight" in header
assert struct.unpack("<f", raw("backbone.ln_f.weight")[:4])[0] != 0.0
PY

new=$("$CLI" import "$WORK/tiny.safetensors" --config "$TINY" --name imported | tail -n 1)
[ "$new" != "$id" ] || fail "import did not create a new run"
trained=$("$CLI" show "$id" --json)
imported=$("$CLI" show "$new" --json)
[ "$(json_field "['status']" <<<"$imported")" = finished ] || fail "imported run is not finished: $imported"
[ "$(json_field "['name']" <<<"$imported")" = imported ] || fail "imported run lost its name"
a=$(json_field "['metrics']['valid/accuracy']" <<<"$trained")
b=$(json_field "['metrics']['valid/accuracy']" <<<"$imported")
[ "$a" = "$b" ] || fail "valid/accuracy differs: trained $a, imported $b"

# The imported run has a checkpoint, so it exports again to the same tensors.
"$CLI" export "$new" --out "$WORK/again.safetensors" >/dev/null
python3 - "$WORK/tiny.safetensors" "$WORK/again.safetensors" <<'PY' || fail "re-export of the imported run differs"
import json, struct, sys
def tensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__")
    return {k: (v["shape"], data[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]]) for k, v in header.items()}
assert tensors(sys.argv[1]) == tensors(sys.argv[2])
PY

head -c 2000 "$WORK/tiny.safetensors" >"$WORK/cut.safetensors"
if err=$("$CLI" import "$WORK/cut.safetensors" --config "$TINY" 2>&1); then
  fail "a truncated file was imported"
fi
expect_contains "$err" "cut.safetensors"
echo "cli_weights: ok"
