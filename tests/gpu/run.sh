#!/usr/bin/env bash
# The GPU check: on a machine with a CUDA build of PyTorch, build zoolab against that PyTorch's LibTorch
# and run what a CPU machine cannot:
#   1. configure and build zoolab-cli, test_kernels, test_models (the mixer contract suite) and
#      bench_kernels in build-cuda/ (Release, Ninja, no GUI, ccache when present, -j16);
#   2. test_kernels with ZOOLAB_TEST_DEVICE=cuda: the kernels' device forms (chunked WKV, selective
#      scan, causal linear attention, the FFT convolution) on the GPU against their step-by-step
#      references on the CPU, plus every other kernel test;
#   3. the mixer contract suite (test_models, MixerContract and MixerRegistry; it builds its mixers on the
#      CPU);
#   4. `zoolab-cli bench --device cuda --preset P --steps 20 --warmup 3` for every fig2-* preset, one
#      table of examples/s and milliseconds per step.
# Everything is time-boxed to fit 15 minutes on an H100 with 16 cores (each step under `timeout`, a step
# that would start past the budget is skipped and says so). Without a CUDA device the run stops cleanly
# after the build, saying so. Outputs (logs, test XML, bench JSON, the table as bench.tsv and bench.md)
# go under $OUT when set, else build-cuda/gpu-run.
#
# Usage: tests/gpu/run.sh [--check]
#   --check   validate the prerequisites (tools, PyTorch and its CUDA, headers, a CUDA device) and print
#             the plan; builds nothing. Exit 0 when a full run could start, 1 when something is missing.
# Environment: BUILD_DIR (build-cuda), JOBS (16), PYTHON (python3), TORCH_PREFIX (LibTorch's CMake
# prefix; default: torch.utils.cmake_prefix_path of PYTHON), ZOOLAB_GPU_BUDGET_S (870: the whole run).

set -uo pipefail

usage() {
  sed -n '2,/^$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

CHECK_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --check) CHECK_ONLY=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "run.sh: unknown argument '$arg' (expected --check or --help)" >&2
      exit 2
      ;;
  esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-cuda}
JOBS=${JOBS:-16}
PYTHON=${PYTHON:-python3}
BUDGET_S=${ZOOLAB_GPU_BUDGET_S:-870}
OUT_DIR=${OUT:-$BUILD_DIR/gpu-run}
TARGETS=(zoolab-cli test_kernels test_models bench_kernels)
START=$SECONDS

mkdir -p "$OUT_DIR" || {
  echo "run.sh: cannot create the output folder $OUT_DIR" >&2
  exit 1
}
: >"$OUT_DIR/run.log"

log() {
  printf '[gpu %4ds] %s\n' $((SECONDS - START)) "$*" | tee -a "$OUT_DIR/run.log"
}

# Seconds left of the whole budget.
left() {
  echo $((BUDGET_S - (SECONDS - START)))
}

# run_step NAME CAP_S RESERVE_S COMMAND...: runs COMMAND under `timeout`, at most CAP_S seconds and never
# into the last RESERVE_S seconds of the budget (kept for the steps after it); its output goes to
# $OUT_DIR/NAME.log. Returns the command's status, 124 when it was cut off, 125 when skipped for time.
run_step() {
  local name=$1 cap=$2 reserve=$3
  shift 3
  local limit
  limit=$(($(left) - reserve))
  ((limit > cap)) && limit=$cap
  if ((limit < 5)); then
    log "$name: skipped, the time budget (${BUDGET_S}s) is spent"
    return 125
  fi
  log "$name: started (limit ${limit}s, log $OUT_DIR/$name.log)"
  local begin=$SECONDS status
  timeout --kill-after=10 "$limit" "$@" >"$OUT_DIR/$name.log" 2>&1
  status=$?
  if ((status == 124 || status == 137)); then
    log "$name: cut off after ${limit}s"
  else
    log "$name: exit $status after $((SECONDS - begin))s"
  fi
  return $status
}

# ---- prerequisites ----------------------------------------------------------------------------------

MISSING=0
report() {  # report ok|missing|note TEXT
  local mark
  case "$1" in
    ok) mark="ok     " ;;
    missing)
      mark="MISSING"
      MISSING=1
      ;;
    *) mark="note   " ;;
  esac
  log "  $mark $2"
}

# Echoes KEY=VALUE lines about PyTorch, or nothing when it cannot be imported.
torch_facts() {
  "$PYTHON" - <<'EOF' 2>/dev/null
import torch, torch.utils
print("version=" + torch.__version__)
print("cuda=" + str(torch.version.cuda))
print("prefix=" + torch.utils.cmake_prefix_path)
print("cxx11_abi=" + str(bool(torch._C._GLIBCXX_USE_CXX11_ABI)))
available = torch.cuda.is_available()
print("device=" + (torch.cuda.get_device_name(0) if available else ""))
EOF
}

fact() {  # fact KEY: the value of KEY in $FACTS
  printf '%s\n' "$FACTS" | sed -n "s/^$1=//p" | head -n 1
}

# Whether the C++ compiler finds HEADER.
has_header() {
  printf '#include <%s>\n' "$1" | "${CXX:-c++}" -std=c++17 -E -x c++ - >/dev/null 2>&1
}

check_prerequisites() {
  log "prerequisites:"
  local tool
  for tool in cmake ninja timeout "${CXX:-c++}" "$PYTHON" pkg-config; do
    if command -v "$tool" >/dev/null 2>&1; then
      report ok "$tool ($(command -v "$tool"))"
    else
      report missing "$tool: not on PATH"
    fi
  done
  if command -v cmake >/dev/null 2>&1; then
    local version
    version=$(cmake --version | sed -n 's/^cmake version \([0-9.]*\).*/\1/p')
    if printf '3.21\n%s\n' "$version" | sort -V -C; then
      report ok "cmake $version >= 3.21"
    else
      report missing "cmake $version: the project needs 3.21 or newer"
    fi
  fi
  if command -v ccache >/dev/null 2>&1; then
    report ok "ccache (the build uses it)"
  else
    report note "no ccache: a cold build only"
  fi

  FACTS=$(torch_facts)
  if [[ -z "$FACTS" ]]; then
    report missing "PyTorch: '$PYTHON -c \"import torch\"' fails"
  else
    report ok "PyTorch $(fact version) (CUDA $(fact cuda)), CMake prefix $(fact prefix)"
    TORCH_PREFIX=${TORCH_PREFIX:-$(fact prefix)}
    if [[ "$(fact cuda)" == "None" ]]; then
      report note "this PyTorch is built without CUDA: the run can only build and stop"
    else
      # A CUDA LibTorch's CMake package looks for the CUDA toolkit (Caffe2's public/cuda.cmake).
      local nvcc=""
      for candidate in "$(command -v nvcc 2>/dev/null)" "${CUDA_HOME:-}/bin/nvcc" /usr/local/cuda/bin/nvcc; do
        if [[ -n "$candidate" && -x "$candidate" ]]; then
          nvcc=$candidate
          break
        fi
      done
      if [[ -n "$nvcc" ]]; then
        report ok "CUDA toolkit ($nvcc), which find_package(Torch) of a CUDA PyTorch needs"
        NVCC=$nvcc
      else
        report missing "nvcc: a CUDA PyTorch's CMake package needs the CUDA toolkit (set CUDA_HOME)"
      fi
    fi
    if [[ "$(fact cxx11_abi)" == "True" ]]; then
      report ok "PyTorch uses the C++11 ABI, as the system's GoogleTest, Benchmark and CLI11"
    else
      report missing "PyTorch uses the pre-C++11 ABI: the system's GoogleTest and friends would not link; use a cxx11-ABI LibTorch (TORCH_PREFIX) or a PyTorch >= 2.7 wheel"
    fi
  fi
  if [[ -n "${TORCH_PREFIX:-}" && ! -d "$TORCH_PREFIX" ]]; then
    report missing "TORCH_PREFIX $TORCH_PREFIX is not a folder"
  fi

  local header
  for header in sqlite3.h nlohmann/json.hpp CLI/CLI.hpp gtest/gtest.h benchmark/benchmark.h zstd.h; do
    if has_header "$header"; then
      report ok "<$header>"
    else
      report missing "<$header>: its development package is not installed"
    fi
  done
  if command -v pkg-config >/dev/null 2>&1 && ! pkg-config --exists libzstd; then
    report missing "pkg-config does not know libzstd"
  fi

  CUDA_DEVICE=$(fact device)
  if [[ -n "$CUDA_DEVICE" ]]; then
    report ok "CUDA device: $CUDA_DEVICE"
  else
    report note "no CUDA device found: a run builds and stops"
  fi
}

configure_command() {
  # ZOOLAB_OPENMP off: a pip PyTorch bundles its own libgomp, and the system's beside it is one more
  # unknown in a run that has to work the first time; the GPU does the work here.
  local command=(cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DZOOLAB_GUI=OFF -DZOOLAB_OPENMP=OFF
    -DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=${TORCH_PREFIX:-}")
  [[ -n "${NVCC:-}" ]] && command+=("-DCMAKE_CUDA_COMPILER=$NVCC")
  printf '%q ' "${command[@]}"
}

FACTS=""
NVCC=""
CUDA_DEVICE=""
log "zoolab GPU check: source $ROOT, build $BUILD_DIR, outputs $OUT_DIR, budget ${BUDGET_S}s"
check_prerequisites

if ((CHECK_ONLY)); then
  log "plan:"
  log "  $(configure_command)"
  log "  cmake --build $BUILD_DIR --target ${TARGETS[*]} -j $JOBS"
  log "  ZOOLAB_TEST_DEVICE=cuda $BUILD_DIR/tests/test_kernels"
  log "  $BUILD_DIR/tests/test_models --gtest_filter='*MixerContract*:MixerRegistry.*'"
  log "  $BUILD_DIR/app/zoolab-cli bench --device cuda --preset P --steps 20 --warmup 3, for P in fig2-*"
  if ((MISSING)); then
    log "check: something is missing (above); a run would fail"
    exit 1
  fi
  if [[ -z "$CUDA_DEVICE" ]]; then
    log "check: prerequisites present; no CUDA device found, so a run would build and stop there"
  else
    log "check: prerequisites present; a run would build, test and bench on $CUDA_DEVICE"
  fi
  exit 0
fi

if ((MISSING)); then
  log "stopping: a prerequisite is missing (above)"
  exit 1
fi

# ---- build --------------------------------------------------------------------------------------------

# After the build: at most 100 s of kernel tests, 60 s of contract tests and the rest (170 s or more) for
# the benchmarks; the configure and the build may use everything before that.
AFTER_BUILD_S=330
eval "run_step configure 180 $AFTER_BUILD_S $(configure_command)" || {
  log "configure failed: tail of $OUT_DIR/configure.log:"
  tail -n 30 "$OUT_DIR/configure.log"
  exit 1
}
run_step build 900 $AFTER_BUILD_S cmake --build "$BUILD_DIR" --target "${TARGETS[@]}" -j "$JOBS" || {
  log "build failed or cut off (a second run resumes it, from ccache): the first errors in $OUT_DIR/build.log:"
  grep -m 20 -E 'error|FAILED' "$OUT_DIR/build.log"
  exit 1
}

if [[ -z "$CUDA_DEVICE" ]]; then
  log "no CUDA device found: built ${TARGETS[*]} in $BUILD_DIR; stopping before the GPU tests and benchmarks"
  exit 0
fi

# ---- tests --------------------------------------------------------------------------------------------

FAILED=()
run_step test_kernels 100 230 env ZOOLAB_TEST_DEVICE=cuda "$BUILD_DIR/tests/test_kernels" \
  "--gtest_output=xml:$OUT_DIR/test_kernels.xml" || FAILED+=(test_kernels)
run_step mixer_contract 60 170 "$BUILD_DIR/tests/test_models" '--gtest_filter=*MixerContract*:MixerRegistry.*' \
  "--gtest_output=xml:$OUT_DIR/mixer_contract.xml" || FAILED+=(mixer_contract)
for name in test_kernels mixer_contract; do
  if [[ -f "$OUT_DIR/$name.log" ]]; then
    log "$name: $(grep -E '^\[  (PASSED|FAILED)  \]' "$OUT_DIR/$name.log" | head -n 1)"
  fi
done

# ---- benchmarks ---------------------------------------------------------------------------------------

mkdir -p "$OUT_DIR/bench"
mapfile -t PRESETS < <("$BUILD_DIR/app/zoolab-cli" presets | awk '/^fig2-/ {print $1}')
log "bench: ${#PRESETS[@]} fig2 presets on $CUDA_DEVICE"
: >"$OUT_DIR/bench.jsonl"
for preset in "${PRESETS[@]}"; do
  if run_step "bench/$preset" 45 10 "$BUILD_DIR/app/zoolab-cli" bench --device cuda --preset "$preset" \
    --steps 20 --warmup 3; then
    line=$(grep -m 1 '^{' "$OUT_DIR/bench/$preset.log")
    printf '{"preset": "%s", "status": "ok", "result": %s}\n' "$preset" "${line:-null}" >>"$OUT_DIR/bench.jsonl"
  else
    status=$?
    case $status in
      124 | 137) status="timeout" ;;
      125) status="skipped" ;;
      *) status="exit $status" ;;
    esac
    printf '{"preset": "%s", "status": "%s", "result": null}\n' "$preset" "$status" >>"$OUT_DIR/bench.jsonl"
    FAILED+=("bench/$preset")
  fi
done

"$PYTHON" - "$OUT_DIR" "$CUDA_DEVICE" <<'EOF' | tee -a "$OUT_DIR/run.log"
import json, sys
out, device = sys.argv[1], sys.argv[2]
rows = [json.loads(line) for line in open(f"{out}/bench.jsonl") if line.strip()]
header = ["preset", "mixer", "L", "batch", "examples/s", "ms/step", "status"]
table = []
for row in rows:
    r = row["result"] or {}
    steps, seconds = r.get("steps"), r.get("seconds")
    table.append([row["preset"], str(r.get("mixer", "")), str(r.get("seq_len", "")), str(r.get("batch_size", "")),
                  f'{r["train_examples_per_s"]:.0f}' if "train_examples_per_s" in r else "",
                  f"{1000 * seconds / steps:.1f}" if steps and seconds else "", row["status"]])
with open(f"{out}/bench.tsv", "w") as f:
    for line in [header] + table:
        f.write("\t".join(line) + "\n")
md = [f"zoolab-cli bench --device cuda --steps 20 --warmup 3 on {device}", "",
      "| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
md += ["| " + " | ".join(line) + " |" for line in table]
open(f"{out}/bench.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
EOF

if ((${#FAILED[@]})); then
  log "done in $((SECONDS - START))s; failed: ${FAILED[*]}"
  exit 1
fi
log "done in $((SECONDS - START))s; everything passed"
