#!/usr/bin/env bash
# zoolab-cli runs --where: every query of run_queries.txt keeps the same runs of run_queries.sql as the
# window's filter box does (tests/views/test_run_query_agreement.cpp), in the listing and in --json; a query
# that does not parse exits 2 naming the column, with a caret under it.
source "$(dirname "$0")/lib.bash"

"$CLI" runs >/dev/null  # creates the database, as every command does
sqlite3 "$ZOOLAB_DB" <"$SRC/tests/app/run_queries.sql"

ids_of_json() {
  python3 -c 'import json, sys
ids = sorted(run["id"] for run in json.load(sys.stdin))
print(",".join(map(str, ids)) or "-")'
}

checked=0
while IFS=$'\t' read -r want query; do
  [[ -z "$want" || "$want" == \#* ]] && continue
  got=$("$CLI" runs --where "$query" --json | ids_of_json) || fail "runs --where '$query' failed"
  [ "$got" == "$want" ] || fail "runs --where '$query' kept $got, expected $want"
  checked=$((checked + 1))
done <"$SRC/tests/app/run_queries.txt"
[ "$checked" -ge 20 ] || fail "only $checked queries were read from run_queries.txt"

# The listing keeps the same runs as --json.
listing=$("$CLI" runs --where "mixer:attention")
expect_contains "$listing" "attn-d64"
expect_contains "$listing" "text-gpt"
if grep -qF "hyena-d64" <<<"$listing"; then fail "the listing kept hyena-d64: $listing"; fi
out=$("$CLI" runs --where "mixer:rwkv7")
expect_contains "$out" "no run in"
expect_contains "$out" "matches --where mixer:rwkv7"

# Errors: exit code 2, the column, what was expected, the query and a caret under the column.
expect_code 2 "$CLI" runs --where "mixer:based d_model>="
expect_contains "$out" "--where: column 22: expected a number after '>='"
expect_contains "$out" "  mixer:based d_model>=
                       ^"
expect_code 2 "$CLI" runs --where "(mixer:based" --json
expect_contains "$out" "column 13: expected ')' to close the '(' at column 1"
expect_code 2 "$CLI" runs --where "name~(a"
expect_contains "$out" "column 6: expected a valid regular expression after '~'"
# A control character in the query is not echoed to the terminal.
expect_code 2 "$CLI" runs --where $'a\033[31m>'
if grep -q $'\033' <<<"$out"; then fail "the error echoed an escape character"; fi
echo "cli_run_query: $checked queries agree"
