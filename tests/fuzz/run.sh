#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz, Clang with AddressSanitizer and UndefinedBehaviorSanitizer)
# and runs each one on a copy of its seed corpus. Fails on any crash, leak, timeout, out-of-memory or
# sanitizer report, printing the path of the input that caused it. See tests/fuzz/README.md.
#
#   tests/fuzz/run.sh                      every harness, 10 seconds each (CI)
#   tests/fuzz/run.sh --seconds 600        longer, for people
#   tests/fuzz/run.sh --runs 1000000 --only strict_json,run_config
# Options: --seconds N (per harness; default 10), --runs N (executions per harness; with --seconds, the first
# reached ends it), --build-dir DIR (default build-fuzz), --work-dir DIR (corpora, artifacts and logs; default
# a new folder under ${TMPDIR:-/tmp}), --jobs N (harnesses at a time; default the number of cores),
# --only NAME[,NAME...] (harness names without fuzz_), and after -- any libFuzzer flags.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
seconds=""
runs=""
build_dir="$root/build-fuzz"
work_dir=""
jobs="$(nproc)"
only=""
extra=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --work-dir) work_dir="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [[ -z "$seconds" && -z "$runs" ]]; then
  seconds=10
fi

# The longest input each harness tries, in bytes: a little over its largest realistic file, so that time
# goes into structure rather than into bulk.
max_len_for() {
  case "$1" in
    probe_sequence | config_overrides) echo 512 ;;
    file_header) echo 1024 ;;
    sweep_file | gpt2_tokenizer | tokenizer_json | corpus) echo 16384 ;;
    *) echo 4096 ;;
  esac
}
dict_for() {
  case "$1" in
    strict_json | run_config | sweep_file | tokenizer_json | gpt2_tokenizer | corpus) echo "$root/tests/fuzz/json.dict" ;;
  esac
}

# Build (configure once; ccache is used when installed).
if [[ ! -f "$build_dir/build.ninja" ]]; then
  CXX="${CXX:-clang++}" cmake -S "$root/tests/fuzz" -B "$build_dir" -G Ninja >/dev/null
fi
cmake --build "$build_dir" -j"$jobs"

names=()
for source in "$root"/tests/fuzz/fuzz_*.cpp; do
  name="$(basename "$source" .cpp)"
  name="${name#fuzz_}"
  [[ "$name" == support ]] && continue
  if [[ -n "$only" && ",$only," != *",$name,"* ]]; then
    continue
  fi
  names+=("$name")
done
if ((${#names[@]} == 0)); then
  echo "run.sh: no harness matches --only $only" >&2
  exit 2
fi

if [[ -z "$work_dir" ]]; then
  work_dir="$(mktemp -d "${TMPDIR:-/tmp}/zoolab-fuzz-run.XXXXXX")"
fi
mkdir -p "$work_dir"
# Symbolised stacks: ASan looks for llvm-symbolizer on PATH; Debian also has it under the versioned folder.
if ! command -v llvm-symbolizer >/dev/null; then
  for candidate in /usr/lib/llvm-*/bin/llvm-symbolizer; do
    [[ -x "$candidate" ]] && export ASAN_SYMBOLIZER_PATH="$candidate"
  done
fi
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

run_one() {
  local name="$1"
  local corpus="$work_dir/corpus/$name" artifacts="$work_dir/artifacts/$name/"
  rm -rf "$corpus" "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  # A copy: libFuzzer adds what it finds to its first corpus folder, never to the committed seeds.
  if [[ -d "$root/tests/fuzz/corpus/$name" ]]; then
    cp -R "$root/tests/fuzz/corpus/$name/." "$corpus/"
  fi
  local flags=(-max_len="$(max_len_for "$name")" -timeout=10 -rss_limit_mb=2560 -print_final_stats=1
               -artifact_prefix="$artifacts")
  [[ -n "$seconds" ]] && flags+=(-max_total_time="$seconds")
  [[ -n "$runs" ]] && flags+=(-runs="$runs")
  local dict
  dict="$(dict_for "$name")"
  [[ -n "$dict" ]] && flags+=(-dict="$dict")
  # TMPDIR: the scratch files of the harnesses that parse a path stay inside the work folder.
  mkdir -p "$work_dir/tmp/$name"
  TMPDIR="$work_dir/tmp/$name" "$build_dir/fuzz_$name" "${flags[@]}" "${extra[@]}" "$corpus" \
    >"$work_dir/$name.log" 2>&1
}

echo "fuzz: ${#names[@]} harnesses, ${seconds:+$seconds s}${seconds:+${runs:+ or }}${runs:+$runs runs} each, $jobs at a time; work folder $work_dir"
for name in "${names[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do
    wait -n || true
  done
  # Each harness leaves its exit status in a file: simpler than collecting it from `wait` in a pool.
  (
    code=0
    run_one "$name" || code=$?
    echo "$code" >"$work_dir/$name.status"
  ) &
done
wait

failed=0
for name in "${names[@]}"; do
  log="$work_dir/$name.log"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  printf '  %-18s %10s runs  ' "$name" "${execs:-?}"
  code="$(cat "$work_dir/$name.status" 2>/dev/null || echo '?')"
  if [[ "$code" == 0 ]]; then
    echo "ok"
    continue
  fi
  failed=1
  echo "FAILED (exit $code)"
  grep -E "ERROR: |SUMMARY: |runtime error: |Test unit written to" "$log" | head -n 20 | sed 's/^/      /'
  for artifact in "$work_dir/artifacts/$name"/*; do
    [[ -e "$artifact" ]] && echo "      reproducer: $artifact (run: $build_dir/fuzz_$name $artifact)"
  done
  echo "      log: $log"
done
if ((failed)); then
  echo "fuzz: FAILED; a reproducer that is a real bug goes into tests/fuzz/corpus/NAME/ as regress-* once fixed" >&2
  exit 1
fi
echo "fuzz: every harness ok"
