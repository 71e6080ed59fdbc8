#!/usr/bin/env bash
# Writes the sample text corpus (the King James Bible, fortunes, licence texts: free texts Debian
# packages ship; engine/text/sample_corpus.h) as Pile-format JSON lines.
#   packaging/sample-corpus.sh OUT.jsonl.zst [zoolab-cli options, e.g. --sample-limit 20000]
# Installs the packages it reads when they are missing (idempotent, like install-deps.sh). zoolab-cli is
# taken from $ZOOLAB_CLI, else PATH, else build/app/zoolab-cli beside this script.
set -euo pipefail

if (($# < 1)); then
  echo "usage: $0 OUT.jsonl[.zst] [zoolab-cli data corpus options]" >&2
  exit 2
fi
out=$1
shift

packages=(bible-kjv bible-kjv-text fortunes-min)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} > 0)); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    sudo="sudo"
  fi
  echo "zoolab: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cli=${ZOOLAB_CLI:-}
if [[ -z "$cli" ]]; then
  if command -v zoolab-cli >/dev/null 2>&1; then
    cli=zoolab-cli
  else
    cli="$(cd "$(dirname "$0")/.." && pwd)/build/app/zoolab-cli"
  fi
fi
exec "$cli" data corpus --sample --out "$out" "$@"
