#!/usr/bin/env bash
# A run database owns the files in "<db>.files" and nothing else: `delete` on a cp'd copy leaves the
# original's files, `db copy` gives a copy with its own files, `db merge` copies no file from outside a
# source's files folder and leaves nothing behind when it fails, `db check` finds damage. A relative
# --db works from any folder, a read-only database can still be read, and listings neither pass
# terminal escapes through nor fail on invalid UTF-8.
source "$(dirname "$0")/lib.bash"
TINY="$SRC/tests/app/tiny.json"
CLI=$(realpath "$CLI")  # the script changes folders
unset ZOOLAB_DB
cd "$WORK"
mkdir -p data elsewhere
files_of() { (cd "$1" && find . -type f | sort && find . -type f -exec cat {} + | md5sum); }

# A relative --db, then the same database from another folder.
(cd data && "$CLI" train --config "$TINY" --set train.max_epochs=1 --threads 1 --quiet --db a.sqlite >/dev/null)
cd elsewhere
"$CLI" export 1 --db ../data/a.sqlite --out first.safetensors >/dev/null
[ -s first.safetensors ] || fail "export from another folder wrote nothing"
cd "$WORK"
recorded=$(sqlite3 data/a.sqlite 'SELECT path FROM checkpoints')
[ "${recorded:0:7}" = "runs/1/" ] || fail "checkpoint paths are not relative to the files folder: $recorded"
before=$(files_of data/a.sqlite.files)

# cp, then delete in the copy: the original keeps every file and still exports.
cp data/a.sqlite data/b.sqlite
expect_code 1 "$CLI" delete 1 --db data/b.sqlite
expect_contains "$out" "nothing deleted"
[ "$(sqlite3 data/b.sqlite 'SELECT count(*) FROM runs')" = 1 ] || fail "delete without --yes deleted"
expect_code 0 "$CLI" delete 1 --db data/b.sqlite --yes
[ "$(sqlite3 data/b.sqlite 'SELECT count(*) FROM runs')" = 0 ] || fail "delete --yes kept the run"
[ "$(files_of data/a.sqlite.files)" = "$before" ] || fail "deleting in a cp'd copy changed the original's files"
"$CLI" export 1 --db data/a.sqlite --format safetensors --out x.safetensors >/dev/null
cmp -s x.safetensors elsewhere/first.safetensors || fail "the original exports other weights after the delete"
expect_code 0 "$CLI" db check --db data/a.sqlite
expect_contains "$out" "ok: "

# db copy: the copy has its own files; deleting there leaves the original alone.
expect_code 0 "$CLI" db copy data/a.sqlite data/c.sqlite
[ -n "$(find data/c.sqlite.files/runs/1 -name '*.zlck')" ] || fail "db copy did not copy the checkpoint"
expect_code 0 "$CLI" db check --db data/c.sqlite
expect_code 0 "$CLI" delete 1 --db data/c.sqlite --yes
[ "$(files_of data/a.sqlite.files)" = "$before" ] || fail "deleting in a db copy changed the original's files"
expect_code 3 "$CLI" db copy data/a.sqlite data/c.sqlite
expect_contains "$out" "already exists"

# db check: an absolute path elsewhere, a missing file and a damaged index are each named; exit 3.
"$CLI" db copy data/a.sqlite data/d.sqlite >/dev/null
echo secret >secret.txt
sqlite3 data/d.sqlite "UPDATE checkpoints SET path = '$WORK/secret.txt'"
expect_code 3 "$CLI" db check --db data/d.sqlite
expect_contains "$out" "$WORK/secret.txt"
expect_contains "$out" "outside"
expect_code 3 "$CLI" db check --db data/d.sqlite --json
[ "$(json_field "['ok']" <<<"$out")" = False ] || fail "db check --json says ok: $out"
expect_code 3 "$CLI" export 1 --db data/d.sqlite --out y.safetensors
expect_contains "$out" "outside"
sqlite3 data/d.sqlite "PRAGMA writable_schema = ON;
  UPDATE sqlite_master SET sql = 'CREATE INDEX runs_by_name ON runs(task)' WHERE name = 'runs_by_name';"
expect_code 3 "$CLI" db check --db data/d.sqlite
expect_contains "$out" "runs_by_name"

# db merge copies no file from outside a source's files folder; the run arrives without it.
"$CLI" db copy data/a.sqlite data/e.sqlite >/dev/null
sqlite3 data/e.sqlite "UPDATE checkpoints SET path = '$WORK/secret.txt'"
expect_code 0 "$CLI" db merge data/e.sqlite --out merged.sqlite
expect_contains "$out" "secret.txt"
[ "$(sqlite3 merged.sqlite 'SELECT count(*) FROM runs')" = 1 ] || fail "the run was not merged"
! grep -rqs secret merged.sqlite.files || fail "db merge copied a file from outside the source's files folder"
# A merge that fails midway leaves nothing at --out, so the retry works.
echo "not a database, but long enough for SQLite to look at its header" >broken.sqlite
expect_code 3 "$CLI" db merge data/a.sqlite broken.sqlite --out retry.sqlite
[ ! -e retry.sqlite ] && [ ! -e retry.sqlite.files ] || fail "a failed merge left its output behind"
[ -z "$(ls | grep partial || true)" ] || fail "a failed merge left a partial file: $(ls)"
expect_code 0 "$CLI" db merge data/a.sqlite --out retry.sqlite
expect_code 0 "$CLI" db check --db retry.sqlite

# export --out FOLDER is refused without leaving FOLDER.tmp.
mkdir outdir
expect_code 2 "$CLI" export 1 --db data/a.sqlite --out outdir
expect_contains "$out" "is a folder"
[ ! -e outdir.tmp ] || fail "export left outdir.tmp behind"

# Names with escape sequences and newlines are escaped in plain listings; invalid UTF-8 in a stored
# error does not break the JSON listings.
sqlite3 data/a.sqlite "UPDATE runs SET name = 'evil' || char(27) || '[2J' || char(10) || 'forged line',
  error = CAST(X'6C6F616465723A20FF41' AS TEXT)"
for command in "runs" "show 1"; do
  out=$("$CLI" $command --db data/a.sqlite)
  ! grep -q $'\x1b' <<<"$out" || fail "'$command' printed a raw escape sequence: $out"
  ! grep -q '^forged line' <<<"$out" || fail "'$command' printed a raw newline of a run name: $out"
  expect_contains "$out" 'evil\x1b[2J\nforged line'
done
"$CLI" runs --db data/a.sqlite --json | python3 -c "import json,sys; assert json.load(sys.stdin)[0]['error'] == 'loader: \\\\xffA'" ||
  fail "runs --json fails on a stored error with invalid UTF-8"
"$CLI" show 1 --db data/a.sqlite --json | json_field "['error']" >/dev/null || fail "show --json fails on invalid UTF-8"

# A database in a folder this user cannot write: the reading commands work, the others name the folder.
mkdir ro
"$CLI" db copy data/a.sqlite ro/r.sqlite >/dev/null
chmod 755 "$WORK" ro
chmod 777 elsewhere
as_reader=()
if [ "$(id -u)" = 0 ]; then
  as_reader=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  "${as_reader[@]}" test -x "$CLI" || { echo "cli_files: ok (read-only part skipped: nobody cannot run $CLI)"; exit 0; }
else
  chmod a-w ro ro/r.sqlite
fi
expect_code 0 "${as_reader[@]}" "$CLI" runs --db ro/r.sqlite
expect_contains "$out" "forged line"
expect_code 0 "${as_reader[@]}" "$CLI" show 1 --db ro/r.sqlite --json
expect_code 0 "${as_reader[@]}" "$CLI" db check --db ro/r.sqlite
expect_code 0 "${as_reader[@]}" "$CLI" export 1 --db ro/r.sqlite --out elsewhere/ro.safetensors
expect_code 3 "${as_reader[@]}" "$CLI" delete 1 --db ro/r.sqlite --yes
expect_contains "$out" "cannot write to $WORK/ro: the folder is not writable"
chmod u+w ro
echo "cli_files: ok"
