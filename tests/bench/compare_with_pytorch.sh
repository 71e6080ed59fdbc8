#!/usr/bin/env bash
# Training speed of zoolab against the real Zoology code (eager PyTorch) on every Zoology Figure 2 preset
# (`zoolab-cli presets | grep '^fig2-'`: 7 mixers x input_seq_len 64, 128, 256, 512), same threads, one run
# each, and the ratio per preset. The peer is tests/bench/zoology_peer.py, which imports Zoology from a
# source checkout at run time (ZOOLOGY_SRC) and times Zoology's own training step; RWKV and Mamba have no
# CPU peer there (CUDA or triton kernels) and print "n/a (no CPU peer)".
#   ZOOLOGY_SRC=DIR tests/bench/compare_with_pytorch.sh BUILD_DIR [THREADS] [FILTER]
# FILTER: a regular expression on the preset names (default: every fig2- preset), e.g. 'L64'.
# Needs Debian's python3-torch, python3-numpy, python3-pydantic, python3-torchvision and einops (importable,
# or EINOPS_SRC=DIR). Not a test: numbers depend on the machine. Few steps per preset (ZOOLAB_STEPS,
# PEER_STEPS): on 2 idle cores all 28 presets take about 8 minutes.
set -euo pipefail
build=${1:-build}
threads=${2:-2}
filter=${3:-.}
here=$(cd "$(dirname "$0")" && pwd)
cli="$build/app/zoolab-cli"
zoolab_steps=${ZOOLAB_STEPS:-3}
peer_steps=${PEER_STEPS:-2}
[[ -x "$cli" ]] || { echo "$0: no $cli; build it first (cmake --build $build --target zoolab-cli)" >&2; exit 2; }
[[ -n "${ZOOLOGY_SRC:-}" ]] || {
  echo "$0: set ZOOLOGY_SRC to a Zoology checkout (the directory holding zoology/model.py)" >&2
  exit 2
}
[[ -f "$ZOOLOGY_SRC/zoology/model.py" ]] || { echo "$0: $ZOOLOGY_SRC/zoology/model.py is missing" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cli" presets --json > "$work/presets.json"
mapfile -t presets < <("$cli" presets | awk '/^fig2-/ {print $1}' | grep -E -- "$filter")
[[ ${#presets[@]} -gt 0 ]] || { echo "$0: no fig2- preset matches \"$filter\"" >&2; exit 2; }

# The value of train_examples_per_s in the last line of stdin (null when the peer has no CPU run).
field() { python3 -c "import json,sys; v=json.loads(sys.stdin.read().strip().splitlines()[-1])['train_examples_per_s']; print('' if v is None else v)"; }

printf '%-24s %12s %12s %9s\n' preset zoolab zoology ratio
for preset in "${presets[@]}"; do
  python3 - "$work/presets.json" "$preset" "$work/config.json" <<'PY'
import json, sys
presets, name, out = sys.argv[1:]
config = next(p["config"] for p in json.load(open(presets)) if p["name"] == name)
json.dump(config, open(out, "w"))
PY
  ours=$("$cli" bench --preset "$preset" --steps "$zoolab_steps" --warmup 1 --threads "$threads" --skip-eval | field)
  peer_line=$(/usr/bin/python3 "$here/zoology_peer.py" --config "$work/config.json" --steps "$peer_steps" \
    --warmup 1 --threads "$threads" 2> "$work/peer.err" | tail -n 1) || {
    echo "$preset: the Zoology peer failed:" >&2
    cat "$work/peer.err" >&2
    exit 1
  }
  theirs=$(printf '%s\n' "$peer_line" | field)
  if [[ -z "$theirs" ]]; then
    printf '%-24s %12.0f %12s %9s\n' "$preset" "$ours" "n/a (no CPU peer)" ""
  else
    python3 - "$preset" "$ours" "$theirs" <<'PY'
import sys
name, ours, theirs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
print(f"{name:<24} {ours:12.0f} {theirs:12.1f} {ours / theirs:8.1f}x")
PY
  fi
done
echo "train examples/s, $threads threads; zoolab: $zoolab_steps steps (lm_head of the preset), Zoology: $peer_steps steps (head at every position)"
