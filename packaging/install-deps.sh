#!/usr/bin/env bash
# Installs the Debian 12 packages zoolab needs to build, run and test. Idempotent: installs only what is
# missing, so it is cheap to call from the README's commands and from .ci/run.
#   packaging/install-deps.sh          build + run + test dependencies
#   packaging/install-deps.sh --gui    also the X11 helpers used to look at the app headless (xvfb)
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev libopenblas0-openmp libgloo-dev  # libgloo-dev: Gloo's headers, for data-parallel runs (c10d)
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libgl-dev
  libsqlite3-dev sqlite3 libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libzstd-dev libcli11-dev
  poppler-utils  # pdftoppm: the figure export tests render the exported PDFs
  clang-format  # the style check (tests/style/check_format.sh): clang-format 14
  clang libclang-rt-dev llvm  # the fuzz step (tests/fuzz/run.sh): -fsanitize=fuzzer's runtime, llvm-symbolizer
  bible-kjv bible-kjv-text fortunes-min  # the sample text corpus (packaging/sample-corpus.sh, tests, demo)
)
if [[ "${1:-}" == "--gui" ]]; then
  packages+=(xvfb xauth)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi
echo "zoolab: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
