#!/usr/bin/env bash
# `zoolab --export` works headless and writes what a publication figure needs: an SVG with the legend, axis
# titles and a line per series, a CSV with every point; `--list-dashboards` lists every dashboard; an unknown
# dashboard, an unsupported suffix and a missing database fail with messages that say what to do.
# Usage: gui_export.sh ZOOLAB-CLI SOURCE-DIR ZOOLAB
source "$(dirname "$0")/../app/lib.bash"
GUI=$3
export QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME="$WORK/config"

# Two one-epoch attention runs of different widths (a few seconds of training).
for width in 32 64; do
  python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c['train']['max_epochs']=1; \
c['model']['d_model']=$width; print(json.dumps(c))" "$SRC/tests/app/tiny.json" >"$WORK/d$width.json"
  "$CLI" train --config "$WORK/d$width.json" --threads 1 --quiet --name "export-d$width" >/dev/null
done

list=$("$GUI" --list-dashboards)
for name in accuracy-vs-width accuracy-vs-state-size pivot-table; do
  grep -q "^$name " <<<"$list" || fail "--list-dashboards lacks $name: $list"
done
[ "$(wc -l <<<"$list")" -ge 7 ] || fail "--list-dashboards lists fewer than 7 dashboards: $list"

out=$("$GUI" --db "$ZOOLAB_DB" --export accuracy-vs-width --out "$WORK/width.svg" 2>"$WORK/err.log") ||
  fail "export failed: $(cat "$WORK/err.log")"
[ "$out" = "$WORK/width.svg" ] || fail "export printed '$out', not the file's path"
python3 - "$WORK/width.svg" <<'PY' || fail "the SVG lacks the legend, axis titles or lines"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
texts = " ".join("".join(e.itertext()) for e in root.iter() if e.tag.endswith("text"))
for expected in ("attention", "Accuracy"):
    assert expected in texts, (expected, texts)
lines = [e for e in root.iter() if e.tag.endswith("polyline") and len(e.get("points", "").split()) >= 2]
assert len(lines) >= 3, len(lines)  # axes, the attention line and its legend icon
PY

"$GUI" --db "$ZOOLAB_DB" --export accuracy-vs-width --out "$WORK/width.csv" >/dev/null 2>&1 || fail "CSV export failed"
[ "$(head -n 1 "$WORK/width.csv")" = "panel,series,group,style,x,y,run_id,label,n,mean,std,min,max,error_low,error_high,run_ids" ] || fail "bad CSV header"
[ "$(($(wc -l <"$WORK/width.csv") - 1))" -eq 2 ] || fail "the CSV should hold the two runs: $(cat "$WORK/width.csv")"
"$GUI" --db "$ZOOLAB_DB" --export accuracy-vs-width --out "$WORK/width.png" --dpi 150 >/dev/null 2>&1 ||
  fail "PNG export failed"
python3 -c "import sys; assert open(sys.argv[1],'rb').read(8) == b'\x89PNG\r\n\x1a\n'" "$WORK/width.png" ||
  fail "not a PNG"

if "$GUI" --db "$ZOOLAB_DB" --export no-such-dashboard --out "$WORK/x.svg" 2>"$WORK/err.log"; then
  fail "an unknown dashboard was accepted"
fi
expect_contains "$(cat "$WORK/err.log")" "no-such-dashboard"
expect_contains "$(cat "$WORK/err.log")" "accuracy-vs-width"
if "$GUI" --db "$ZOOLAB_DB" --export accuracy-vs-width --out "$WORK/x.jpg" 2>"$WORK/err.log"; then
  fail "an unsupported suffix was accepted"
fi
expect_contains "$(cat "$WORK/err.log")" ".jpg"
if "$GUI" --db "$WORK/missing.sqlite" --export accuracy-vs-width --out "$WORK/x.svg" 2>"$WORK/err.log"; then
  fail "a missing database was accepted"
fi
expect_contains "$(cat "$WORK/err.log")" "missing.sqlite"
[ ! -e "$WORK/missing.sqlite" ] || fail "the export created the missing database"
echo "gui_export: ok"
