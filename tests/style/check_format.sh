#!/usr/bin/env bash
# Fails when a C++ source differs from the repository's .clang-format, naming each file and the command that
# fixes it. Registered as the ctest `style.format`, so the README's test command (and CI) checks it.
#   tests/style/check_format.sh [ROOT]
# The style is checked with Debian 12's clang-format 14: other versions format some constructs
# differently, so a different version is refused rather than trusted.
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$root"

formatter=""
for candidate in clang-format-14 clang-format; do
  if command -v "$candidate" >/dev/null && "$candidate" --version | grep -q ' version 14\.'; then
    formatter="$candidate"
    break
  fi
done
if [[ -z "$formatter" ]]; then
  echo "check_format: clang-format 14 not found (packaging/install-deps.sh installs it)" >&2
  exit 1
fi

# The tracked sources when this is a git checkout; otherwise every source below the project folders.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- '*.cpp' '*.h')
else
  mapfile -t files < <(find app engine kernels models views tests cmake -name '*.cpp' -o -name '*.h' | sort)
fi

unformatted=()
for f in "${files[@]}"; do
  if ! "$formatter" --dry-run --Werror "$f" >/dev/null 2>&1; then
    unformatted+=("$f")
  fi
done
if ((${#unformatted[@]} > 0)); then
  printf 'check_format: %d file(s) differ from .clang-format:\n' "${#unformatted[@]}" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  echo "fix with: $formatter -i FILE..." >&2
  exit 1
fi
echo "check_format: ${#files[@]} files match .clang-format ($formatter)"
