#!/usr/bin/env bash
# Bad configurations are refused before training, with a message naming the field.
source "$(dirname "$0")/lib.bash"
TINY="$SRC/tests/app/tiny.json"

check_refused() {  # $1: python expression editing `c`, $2: text the message must contain
  python3 -c "import json; c=json.load(open('$TINY')); $1; json.dump(c, open('$WORK/bad.json','w'))"
  set +e
  out=$("$CLI" train --config "$WORK/bad.json" 2>&1)
  code=$?
  set -e
  [ "$code" -eq 2 ] || fail "exit code $code (expected 2) for: $1; output: $out"
  expect_contains "$out" "$2"
}
check_refused "c['trian'] = {}" 'unknown key "trian"'
check_refused "c['model']['d_model'] = 'wide'" 'model.d_model'
check_refused "c['data']['train'][0]['num_kv_pairs'] = 5" 'data.train[0].num_kv_pairs'
check_refused "c['model']['sequence_mixer']['kwargs']['heads'] = 2" 'model.sequence_mixer.kwargs.heads'
check_refused "c['model']['sequence_mixer']['name'] = 'transformer'" 'transformer'
[ ! -e "$ZOOLAB_DB" ] || [ "$("$CLI" runs --json | json_field '.__len__()')" -eq 0 ] || fail "a refused config created a run"

# Every command has --help.
for command in train resume runs show presets mixers bench "data mqar"; do
  $CLI $command --help >/dev/null || fail "$command --help"
done
echo "cli_config_errors: ok"
