#!/usr/bin/env bash
# Training speed of zoolab against an eager PyTorch peer on the Zoology Figure 2 cells at sequence
# length 64 (d_model 64, batch 512, V=8192), same threads, one run. The peer is a script of your own,
# not shipped; docs/development.md#benchmarks says what it must accept and print.
#   tests/bench/compare_with_pytorch.sh BUILD_DIR REFERENCE_SCRIPT [THREADS]
# Needs Debian's python3-torch and python3-numpy for the peer. Not a test: numbers depend on the machine.
set -euo pipefail
build=${1:-build}
reference=${2:?"usage: $0 BUILD_DIR REFERENCE_SCRIPT [THREADS] (the script: docs/development.md#benchmarks)"}
threads=${3:-2}
cli="$build/app/zoolab-cli"
field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['train_examples_per_s'])"; }

printf '%-10s %14s %14s %14s %14s %9s %9s\n' mixer zoolab zoolab-all torch torch-qhead "vs torch" "vs qhead"
for mixer in attention base_conv; do
  ours=$("$cli" bench --preset "fig2-$mixer-L64-d64" --steps 20 --threads "$threads" | field)
  ours_all=$("$cli" bench --preset "fig2-$mixer-L64-d64" --steps 3 --warmup 1 --lm-head all --threads "$threads" | field)
  common=(--mixer "$mixer" --d-model 64 --seq-len 64 --kv 4 --vocab 8192 --batch 512 --threads "$threads" --test 512 --epochs 1)
  torch_all=$(/usr/bin/python3 "$reference" "${common[@]}" --train 2048 | field)
  torch_q=$(/usr/bin/python3 "$reference" "${common[@]}" --train 10240 --query-head | field)
  python3 - "$mixer" "$ours" "$ours_all" "$torch_all" "$torch_q" <<'PY'
import sys
m, ours, ours_all, t_all, t_q = sys.argv[1], *map(float, sys.argv[2:])
print(f"{m:<10} {ours:14.0f} {ours_all:14.0f} {t_all:14.0f} {t_q:14.0f} {ours / t_all:8.1f}x {ours / t_q:8.2f}x")
PY
done
