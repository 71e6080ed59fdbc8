#!/usr/bin/env bash
# Bad configurations are refused before training, with a message naming the field.
source "$(dirname "$0")/lib.bash"
TINY="$SRC/tests/app/tiny.json"

# train refuses with exit code 2 (a configuration error) and a message containing $1; $2...: its options.
expect_train_refused() {
  local text=$1
  shift
  expect_code 2 "$CLI" train "$@"
  expect_contains "$out" "$text"
}
check_refused() {  # $1: python expression editing `c`, $2: text the message must contain
  python3 -c "import json; c=json.load(open('$TINY')); $1; json.dump(c, open('$WORK/bad.json','w'))"
  expect_train_refused "$2" --config "$WORK/bad.json"
}
check_refused "c['trian'] = {}" 'unknown key "trian"'
check_refused "c['model']['d_model'] = 'wide'" 'model.d_model'
check_refused "c['data']['train'][0]['num_kv_pairs'] = 5" 'data.train[0].num_kv_pairs'
check_refused "c['model']['sequence_mixer']['kwargs']['heads'] = 2" 'model.sequence_mixer.kwargs.heads'
check_refused "c['model']['sequence_mixer']['name'] = 'transformer'" 'transformer'
# --set PATH=VALUE is refused the same way, naming the field or the malformed assignment.
check_set_refused() {  # $1: the assignment, $2: text the message must contain
  expect_train_refused "$2" --config "$TINY" --set "$1"
}
check_set_refused 'model.d_modle=16' 'model.d_modle: not a field'
check_set_refused 'model.d_model=wide' 'model.d_model: expected an integer in [1, 65536]'
check_set_refused 'model.sequence_mixer.kwargs.num_heads=3' 'num_heads'  # 3 does not divide d_model 32
check_set_refused 'd_model' 'expected PATH=VALUE'
[ ! -e "$ZOOLAB_DB" ] || [ "$("$CLI" runs --json | json_field '.__len__()')" -eq 0 ] || fail "a refused config created a run"

# Accepted assignments change only their fields and name the run after them, as a sweep would.
id=$("$CLI" enqueue --config "$TINY" --set model.d_model=16 --set 'data.train[0].num_kv_pairs=3' --quiet)
shown=$("$CLI" show "$id" --json)
[ "$(json_field "['name']" <<<"$shown")" = "cli-tiny-d_model=16-num_kv_pairs=3" ] || fail "--set name: $shown"
[ "$(json_field "['config']['model']['d_model']" <<<"$shown")" = 16 ] || fail "--set d_model: $shown"
[ "$(json_field "['config']['data']['train'][0]['num_kv_pairs']" <<<"$shown")" = 3 ] || fail "--set kv: $shown"
[ "$(json_field "['config']['data']['test'][0]['num_kv_pairs']" <<<"$shown")" = 2 ] || fail "--set test: $shown"
"$CLI" cancel "$id" >/dev/null

# Every command has --help.
for command in train resume runs show presets mixers bench "data mqar"; do
  $CLI $command --help >/dev/null || fail "$command --help"
done
echo "cli_config_errors: ok"
