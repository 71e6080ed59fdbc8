#!/usr/bin/env bash
# Seeds and error bars, end to end: a sweep repeated over 3 seeds (its file's "seeds", and --seeds) is
# trained for real, and `dashboard accuracy-vs-width --json` plots each cell's best seed group as its mean
# with n, std and the error bar, checked against python3's own computation over the database's metrics
# table; a run of another task definition (another vocabulary) is listed but not plotted.
source "$(dirname "$0")/lib.bash"
TINY="$SRC/tests/app/tiny.json"

# 2 widths x 2 learning rates, each over 3 seeds from tiny.json's seed 5: 12 runs of one epoch.
python3 - "$TINY" >"$WORK/seeds.json" <<'PY'
import json, sys
tiny = json.load(open(sys.argv[1]))
tiny["name"] = "s"
tiny["train"]["max_epochs"] = 1
print(json.dumps({"name": "seeded", "base": tiny, "seeds": 3,
                  "grid": [["model.d_model", [16, 32]], ["train.learning_rate", [0.003, 0.01]]]}))
PY
dry=$("$CLI" sweep "$WORK/seeds.json" --dry-run --json)
[ "$(json_field "['runs'].__len__()" <<<"$dry")" = 12 ] || fail "3 seeds of 4 points are not 12 runs: $dry"
[ "$(json_field "['runs'][0:3]" <<<"$dry")" = "['s-d_model=16-learning_rate=0.003-seed=5', 's-d_model=16-learning_rate=0.003-seed=6', 's-d_model=16-learning_rate=0.003-seed=7']" ] ||
  fail "repetitions are not named after their seeds: $dry"
[ "$(json_field "['runs'].__len__()" <<<"$("$CLI" sweep "$WORK/seeds.json" --dry-run --json --seeds 2)")" = 8 ] ||
  fail "--seeds 2 does not replace the file's seeds"
expect_failure "seeds" "$CLI" sweep "$WORK/seeds.json" --dry-run --seeds 0
expect_contains "$out" "from 1 to 1000, got 0"
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); s['seeds']=1001; print(json.dumps(s))" \
  "$WORK/seeds.json" >"$WORK/too_many.json"
expect_failure "seeds: expected the number of seeds" "$CLI" sweep "$WORK/too_many.json" --dry-run
expect_contains "$out" "1001"

"$CLI" sweep "$WORK/seeds.json" >/dev/null
timeout 300 "$CLI" worker --slots 2 --threads 1 --poll-ms 100 --exit-when-idle >"$WORK/worker.log" 2>&1 ||
  fail "worker failed: $(cat "$WORK/worker.log")"
[ "$(sqlite3 "$ZOOLAB_DB" "SELECT count(*) FROM runs WHERE status = 'finished'")" = 12 ] ||
  fail "not every run finished: $(sqlite3 "$ZOOLAB_DB" "SELECT name, status, error FROM runs")"
[ "$(sqlite3 "$ZOOLAB_DB" "SELECT count(DISTINCT json_extract(config_json, '\$.data.seed')) || ' ' ||
      count(DISTINCT json_extract(config_json, '\$.seed')) FROM runs")" = "1 3" ] ||
  fail "the repetitions must share data.seed and differ in seed"

# Another task definition: the same model on a smaller vocabulary.
python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c['name']='other-vocab'; c['train']['max_epochs']=1
c['data']['vocab_size']=48; print(json.dumps(c))" "$TINY" >"$WORK/other.json"
"$CLI" train --config "$WORK/other.json" --threads 1 --quiet >/dev/null || fail "training other-vocab failed"
other=$(sqlite3 "$ZOOLAB_DB" "SELECT id FROM runs WHERE name = 'other-vocab'")

cat >"$WORK/check.py" <<'EOF_PY'
# The dashboard's points against the metrics table: per d_model cell, group the runs by learning rate
# (the seeds are the repetitions), take each run's last valid/accuracy, choose the group with the highest
# mean (ties to the lower smallest id), and compare mean, sample std (n - 1), n, members and best member.
import json, math, sqlite3, sys
db, error_bars, other = sys.argv[1], sys.argv[2], int(sys.argv[3])
figure = json.load(sys.stdin)
rows = sqlite3.connect(db).execute("""
  SELECT r.id, json_extract(r.config_json, '$.model.d_model'), json_extract(r.config_json, '$.train.learning_rate'),
         (SELECT m.value FROM metrics m WHERE m.run_id = r.id AND m.key = 'valid/accuracy'
          ORDER BY m.step DESC, m.id DESC LIMIT 1)
  FROM runs r WHERE r.name LIKE 's-%' ORDER BY r.id""").fetchall()
groups = {}
for run, d_model, lr, value in rows:
    groups.setdefault(d_model, {}).setdefault(lr, []).append((run, value))
assert len(figure["task_definitions"]) == 2, figure["task_definitions"]
assert figure["task_definitions"][0]["runs"] == 12, figure["task_definitions"]
assert figure["task_definitions"][1]["runs"] == 1, figure["task_definitions"]
assert figure["task_definition"] == figure["task_definitions"][0]["key"]
assert "V=64" in figure["task_definitions"][0]["label"], figure["task_definitions"]
assert any("1 run of 1 other task definition left out" in n for n in figure["notes"]), figure["notes"]
points = [p for panel in figure["panels"] for s in panel["series"] for p in s["points"]]
assert [p["x"] for p in points] == [16, 32], points
for point in points:
    candidates = []
    for lr, members in groups[int(point["x"])].items():
        values = [v for _, v in members]
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
        candidates.append((-mean, min(r for r, _ in members), members, mean, std, values))
    _, _, members, mean, std, values = min(candidates)
    best = min(members, key=lambda m: (-m[1], m[0]))[0]
    assert point["n"] == 3, point
    assert sorted(point["runs"]) == sorted(r for r, _ in members), (point, members)
    assert other not in point["runs"]
    assert point["run_id"] == best, (point, members)
    assert math.isclose(point["y"], mean, rel_tol=1e-12, abs_tol=1e-12), (point, mean)
    assert math.isclose(point["mean"], mean, rel_tol=1e-12, abs_tol=1e-12), (point, mean)
    assert math.isclose(point["std"], std, rel_tol=1e-9, abs_tol=1e-12), (point, std)
    assert point["min"] == min(values) and point["max"] == max(values), (point, values)
    low, high = {"std": (mean - std, mean + std), "minmax": (min(values), max(values)),
                 "none": (mean, mean)}[error_bars]
    assert math.isclose(point["error_low"], low, abs_tol=1e-12), (point, low)
    assert math.isclose(point["error_high"], high, abs_tol=1e-12), (point, high)
    assert "n=3" in point["label"], point["label"]
EOF_PY
for bars in std minmax none; do
  json=$("$CLI" dashboard accuracy-vs-width --json --error-bars "$bars")
  python3 "$WORK/check.py" "$ZOOLAB_DB" "$bars" "$other" <<<"$json" || fail "--error-bars $bars: $json"
done

# The text output lists the definitions with their keys; --task-definition plots the other one.
text=$("$CLI" dashboard accuracy-vs-width)
expect_contains "$text" "task definitions (choose with --task-definition KEY):"
expect_contains "$text" "(12 runs)"
key=$(json_field "['task_definitions'][1]['key']" <<<"$json")
alone=$("$CLI" dashboard accuracy-vs-width --json --task-definition "$key")
[ "$(json_field "['panels'][0]['series'][0]['points'][0]['runs']" <<<"$alone")" = "[$other]" ] ||
  fail "--task-definition $key: $alone"
expect_failure "task_definition: \"nosuch\"" "$CLI" dashboard accuracy-vs-width --task-definition nosuch
expect_contains "$out" "$key"
expect_failure "error_bars: \"sem\" is not one of std, minmax, none" "$CLI" dashboard accuracy-vs-width --error-bars sem

# The CSV has the group columns; the pivot table's group cells read "mean ± std (n)".
csv=$("$CLI" dashboard accuracy-vs-width --csv)
expect_contains "$(head -1 <<<"$csv")" "label,n,mean,std,min,max,error_low,error_high,run_ids"
pivot=$("$CLI" dashboard pivot-table --rows train.learning_rate --columns model.d_model --cell group)
expect_contains "$pivot" " ± "
expect_contains "$pivot" "(3)"
echo "cli_dashboard_seeds: ok"
