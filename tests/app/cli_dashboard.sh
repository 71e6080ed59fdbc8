#!/usr/bin/env bash
# zoolab-cli dashboard over really trained runs: the text, --json and --csv outputs, --list, the chosen
# best run checked against sqlite3 over the metrics table, --sweep, unfinished runs, and the option errors.
source "$(dirname "$0")/lib.bash"
TINY="$SRC/tests/app/tiny.json"
# tiny.json for one epoch at another width and learning rate: config NAME D_MODEL LR
config() {
  python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c['name']=sys.argv[2]; c['train']['max_epochs']=1
c['model']['d_model']=int(sys.argv[3]); c['train']['learning_rate']=float(sys.argv[4]); print(json.dumps(c))" \
    "$TINY" "$1" "$2" "$3" >"$WORK/$1.json"
}

# Two learning rates at d_model 32 compete for one point; d_model 16 is the other point of the line.
config w32-slow 32 0.0003
config w32-fast 32 0.01
config w16 16 0.003
for name in w32-slow w32-fast w16; do
  "$CLI" train --config "$WORK/$name.json" --threads 1 --quiet >/dev/null || fail "training $name failed"
done

# The run the dashboard must choose at d_model 32: the highest last-step valid/accuracy, ties to the
# lowest id, by SQL over the metrics table.
best=$(sqlite3 "$ZOOLAB_DB" "
  SELECT r.id FROM runs r JOIN metrics m ON m.run_id = r.id AND m.key = 'valid/accuracy'
  WHERE json_extract(r.config_json, '\$.model.d_model') = 32 AND r.status = 'finished'
    AND m.step = (SELECT MAX(step) FROM metrics WHERE run_id = r.id AND key = 'valid/accuracy')
  ORDER BY m.value DESC, r.id ASC LIMIT 1")
[[ "$best" =~ ^[0-9]+$ ]] || fail "no best run by SQL: '$best'"

json=$("$CLI" dashboard accuracy-vs-width --json)
cat >"$WORK/check_width.py" <<'EOF'
import json, sys
figure = json.load(sys.stdin)
assert figure["name"] == "accuracy-vs-width", figure["name"]
assert [p["title"] for p in figure["panels"]] == ["Sequence Length: 16"], figure["panels"]
series = figure["panels"][0]["series"]
assert [s["name"] for s in series] == ["attention"], series
points = series[0]["points"]
assert [p["x"] for p in points] == [16, 32], points
assert points[1]["run_id"] == int(sys.argv[1]), (points[1], sys.argv[1])
assert "best of 2 runs" in points[1]["label"], points[1]["label"]
EOF
python3 "$WORK/check_width.py" "$best" <<<"$json" || fail "accuracy-vs-width --json: $json"

text=$("$CLI" dashboard accuracy-vs-width)
expect_contains "$text" "Sequence Length: 16"
expect_contains "$text" "run $best \"w32-"
csv=$("$CLI" dashboard accuracy-vs-width --csv)
[ "$(wc -l <<<"$csv")" = 3 ] || fail "expected a header and 2 points, got: $csv"
expect_contains "$(head -1 <<<"$csv")" "panel,series,group,style,x,y,run_id,label"

# The state size the trainer recorded is the x of the state-size dashboard.
state=$(sqlite3 "$ZOOLAB_DB" "SELECT state_size FROM runs WHERE id = $best")
[ "$state" -gt 0 ] || fail "run $best has no state size"
xs=$("$CLI" dashboard accuracy-vs-state-size --json | json_field "['panels'][0]['series'][0]['points']" )
expect_contains "$xs" "'x': $state"
expect_contains "$("$CLI" dashboard accuracy-vs-state-size --pin-paper)" "Based paper"

# tiny.json slices by num_kv_pairs (2 pairs).
kv=$("$CLI" dashboard accuracy-by-kv-pairs --json)
[ "$(json_field "['panels'][0]['series'][0]['points'][0]['x']" <<<"$kv")" = 2.0 ] || fail "kv slices: $kv"

pivot=$("$CLI" dashboard pivot-table --rows train.learning_rate --columns mixer --cell mean)
expect_contains "$pivot" "train.learning_rate \\ mixer"
expect_contains "$pivot" "attention"
[ "$("$CLI" dashboard pivot-table --rows model.d_model --columns mixer --csv | wc -l)" = 3 ] ||
  fail "pivot CSV: a header and the 2 widths expected"

# A queued run is left out, and said so; --include-unfinished counts it as having no metric yet.
"$CLI" enqueue --config "$WORK/w16.json" --name queued --quiet >/dev/null
expect_contains "$("$CLI" dashboard accuracy-vs-width)" "note: 1 run not finished left out"
expect_contains "$("$CLI" dashboard accuracy-vs-width --include-unfinished)" "note: 1 run has no valid/accuracy yet"

# --sweep keeps one sweep's runs (the sweep row is written directly: this tests the dashboard only).
sqlite3 "$ZOOLAB_DB" "INSERT INTO sweeps (name, spec_json, created_at) VALUES ('only-w16', '{}', '2024-01-01T00:00:00Z');
  UPDATE runs SET sweep_id = (SELECT id FROM sweeps WHERE name = 'only-w16') WHERE name = 'w16'"
swept=$("$CLI" dashboard accuracy-vs-width --sweep only-w16 --csv)
[ "$(wc -l <<<"$swept")" = 2 ] || fail "--sweep only-w16: $swept"
expect_contains "$swept" ",16,"

listing=$("$CLI" dashboard --list)
[ "$(wc -l <<<"$listing")" = 8 ] || fail "--list: $listing"
for name in accuracy-vs-width accuracy-vs-state-size accuracy-vs-parameters accuracy-by-kv-pairs \
  accuracy-by-seq-len parallel-coordinates pivot-table mad-scorecard; do
  expect_contains "$listing" "$name"
  "$CLI" dashboard "$name" --json >/dev/null || fail "dashboard $name failed"
done

expect_failure "pivot-table" "$CLI" dashboard accuracy-vs-depth
expect_failure "aggregate" "$CLI" dashboard accuracy-vs-width --aggregate mean
expect_failure "best, mean, last" "$CLI" dashboard pivot-table --cell median
expect_failure "\"model.width\"" "$CLI" dashboard pivot-table --rows model.width
expect_failure "no sweep \"nope\"" "$CLI" dashboard accuracy-vs-width --sweep nope
expect_failure "excludes" "$CLI" dashboard accuracy-vs-width --json --csv
expect_failure "give a dashboard NAME" "$CLI" dashboard
echo "cli_dashboard: ok"
