#include "engine/config/run_config.h"

#include <algorithm>
#include <filesystem>

#include "engine/config/json_reader.h"
#include "engine/data/task_registry.h"
#include "engine/util/checked_size.h"

namespace zoolab {

namespace {

using nlohmann::json;

// Tokens are stored as int32 in the dataset cache (engine/data/dataset_cache.h).
constexpr int64_t kMaxVocabSize = 2147483647;
// Far above any model zoolab trains (GPT-3's largest: d_model 12288, 96 layers), low enough that the
// sizes built from them cannot overflow; the memory estimate (run_memory.h) bounds their products.
constexpr int64_t kMaxDModel = 65536;
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxBatchSize = int64_t{1} << 20;
constexpr int64_t kMaxSequenceLength = int64_t{1} << 20;  // input_seq_len, context_length, positions

const std::vector<std::string> kDataTasks = {"mqar", "text"};
const std::vector<std::string> kAccuracyAverages = {"example", "token"};
const std::vector<std::string> kLmHeads = {"labelled", "all"};
const std::vector<std::string> kBlockTypes = {"transformer", "mamba", "mamba2"};

// One segment (Zoology's DataSegmentConfig and its subclasses: docs/reference.md#segments-seeds-and-batches,
// docs/tasks.md): the fields every segment has, then the task's own parameters, checked against the task's
// specs. The checks that need data.vocab_size run in check_segment_shape().
SegmentConfig parse_segment(const json& value, const std::string& path) {
  ObjectReader r(value, path);
  SegmentConfig s;
  s.task = r.get_string("task", s.task, StringRule::one_of(task_names()));
  s.input_seq_len = r.get_int64("input_seq_len", s.input_seq_len, IntRange::between(1, kMaxSequenceLength));
  s.num_examples = r.get_int64("num_examples", s.num_examples, IntRange::positive());
  // Reading each of the task's parameters before finish() makes a misspelt key an "unknown key" error
  // that lists the segment's allowed keys (and suggests the closest).
  const TaskSpec& task = find_task(s.task, r.path_of("task"));
  json given = json::object();
  for (const auto& param : task.params) {
    if (const json* v = r.get_raw(param.name)) {
      given[param.name] = *v;
    }
  }
  r.finish();
  s.params = resolve_task_params(task, given, path);
  return s;
}

// The checks every task shares, then the task's own (which need data.vocab_size or relate its fields).
void check_segment_shape(const SegmentConfig& s, int64_t vocab_size, const std::string& path) {
  // Inputs and labels, 8 bytes a token: whether that fits this machine is checked with the model
  // (run_memory.h); a size past 2^64 bytes fits none.
  if (!(CheckedSize(s.num_examples) * s.input_seq_len * 16).ok()) {
    throw ConfigError(path + ".num_examples", std::to_string(s.num_examples) + " examples of " +
                                                  std::to_string(s.input_seq_len) +
                                                  " tokens need more than 2^64 bytes; lower num_examples");
  }
  find_task(s.task, path + ".task").check_shape(s, vocab_size, path);
}

std::vector<SegmentConfig> parse_segments(ObjectReader& r, const std::string& key, int64_t vocab_size) {
  const std::string path = r.path_of(key);
  const json* list = r.get_array(key);
  if (!list || list->empty()) {
    throw ConfigError(path,
                      "expected a list of at least one segment, e.g. [{\"task\": \"mqar\", "
                      "\"input_seq_len\": 64, \"num_kv_pairs\": 4}] (`zoolab-cli tasks` lists the tasks)");
  }
  std::vector<SegmentConfig> segments;
  for (size_t i = 0; i < list->size(); ++i) {
    segments.push_back(parse_segment((*list)[i], json_index_path(path, i)));
    check_segment_shape(segments.back(), vocab_size, json_index_path(path, i));
  }
  return segments;
}

// "batch_size": N (train and test) or [train, test], as Zoology writes it.
void parse_batch_size(ObjectReader& r, DataConfig* data) {
  const json* v = r.get_raw("batch_size");
  if (!v)
    return;
  const std::string path = r.path_of("batch_size");
  const std::string expected = "expected an integer in [1, " + std::to_string(kMaxBatchSize) +
                               "] or a [train, test] pair of them, got ";
  if (v->is_array()) {
    if (v->size() != 2) {
      throw ConfigError(path, expected + describe_json_value(*v));
    }
    data->train_batch_size =
        json_to_int64((*v)[0], json_index_path(path, 0), IntRange::between(1, kMaxBatchSize));
    data->test_batch_size =
        json_to_int64((*v)[1], json_index_path(path, 1), IntRange::between(1, kMaxBatchSize));
    return;
  }
  int64_t n = 0;
  try {
    n = json_to_int64(*v, path, IntRange::between(1, kMaxBatchSize));
  } catch (const ConfigError&) {
    throw ConfigError(path, expected + describe_json_value(*v));
  }
  data->train_batch_size = data->test_batch_size = n;
}

// Keys of `object` that belong to the other task: refused with what to do instead, before the
// reader's generic "unknown key" (which would not say why).
void refuse_keys(const json& object, const std::string& path, const std::vector<std::string>& keys,
                 const std::string& why) {
  if (!object.is_object())
    return;
  for (const auto& key : keys) {
    if (object.contains(key))
      throw ConfigError(join_json_path(path, key), why);
  }
}

const std::vector<std::string> kMqarDataKeys = {"train", "test", "cache_dir"};
const std::vector<std::string> kMqarTrainKeys = {"max_epochs",
                                                 "early_stopping_metric",
                                                 "early_stopping_threshold",
                                                 "slice_keys",
                                                 "shuffle",
                                                 "accuracy_average",
                                                 "lm_head",
                                                 "inspect"};
const std::vector<std::string> kTextTrainKeys = {"warmup_steps", "gradient_clip", "eval_interval"};

// data.text. The shards folder may be empty here: `train --shards DIR` fills it in, and the
// trainer refuses to start without one.
TextDataConfig parse_text(const json* value) {
  static const json kEmpty = json::object();
  ObjectReader r(value ? *value : kEmpty, "data.text");
  TextDataConfig t;
  t.shards = r.get_string("shards", t.shards);
  t.context_length =
      r.get_int64("context_length", t.context_length, IntRange::between(1, kMaxSequenceLength));
  t.train_tokens = r.get_int64("train_tokens", t.train_tokens, IntRange::positive());
  t.valid_sequences = r.get_int64("valid_sequences", t.valid_sequences, IntRange::positive());
  r.finish();
  return t;
}

DataConfig parse_data(const json* value) {
  static const json kEmpty = json::object();
  const json& object = value ? *value : kEmpty;
  ObjectReader r(object, "data");
  DataConfig d;
  d.task = r.get_string("task", d.task, StringRule::one_of(kDataTasks));
  d.vocab_size = r.get_int64("vocab_size", d.vocab_size, IntRange::between(2, kMaxVocabSize));
  parse_batch_size(r, &d);
  d.seed = r.get_uint64("seed", d.seed);
  if (is_text_task(d)) {
    refuse_keys(object, "data", kMqarDataKeys,
                "MQAR data is not used by text runs (data.task \"text\" reads data.text); remove it, or set "
                "data.task to \"mqar\"");
    d.text = parse_text(r.get_object("text"));
  } else {
    refuse_keys(object, "data", {"text"},
                "only text runs read data.text; set data.task to \"text\" (and remove data.train and "
                "data.test), or remove data.text");
    d.cache_dir = r.get_string("cache_dir", d.cache_dir);
    d.train = parse_segments(r, "train", d.vocab_size);
    d.test = parse_segments(r, "test", d.vocab_size);
  }
  r.finish();
  return d;
}

// {"name": ..., "kwargs": {...}}. Only the shape is checked here: names and kwargs are validated
// against the mixer registry by validate_model_config().
ModuleConfig parse_module(ObjectReader& parent, const std::string& key, const ModuleConfig& default_value) {
  const json* v = parent.get_object(key);
  if (!v)
    return default_value;
  ObjectReader r(*v, parent.path_of(key));
  ModuleConfig m;
  m.name = r.require_string("name", StringRule::non_empty());
  if (const json* kwargs = r.get_object("kwargs"))
    m.kwargs = *kwargs;
  r.finish();
  return m;
}

ModelConfig parse_model(const json* value, const DataConfig& data) {
  static const json kEmpty = json::object();
  ObjectReader r(value ? *value : kEmpty, "model");
  ModelConfig m;
  m.d_model = r.get_int64("d_model", m.d_model, IntRange::between(1, kMaxDModel));
  m.n_layers = r.get_int64("n_layers", m.n_layers, IntRange::between(1, kMaxLayers));
  m.max_position_embeddings = r.get_int64("max_position_embeddings", m.max_position_embeddings,
                                          IntRange::between(0, kMaxSequenceLength));
  m.vocab_size = r.get_int64("vocab_size", m.vocab_size, IntRange::between(0, kMaxVocabSize));
  m.embed_dropout = r.get_double("embed_dropout", m.embed_dropout, DoubleRange::probability_below_one());
  m.resid_dropout = r.get_double("resid_dropout", m.resid_dropout, DoubleRange::probability_below_one());
  m.layer_norm_epsilon = r.get_double("layer_norm_epsilon", m.layer_norm_epsilon, DoubleRange::positive());
  m.block_type = r.get_string("block_type", m.block_type, StringRule::one_of(kBlockTypes));
  m.sequence_mixer = parse_module(r, "sequence_mixer", m.sequence_mixer);
  m.state_mixer = parse_module(r, "state_mixer", m.state_mixer);
  r.finish();

  if (m.vocab_size != 0 && m.vocab_size < data.vocab_size) {
    throw ConfigError("model.vocab_size", "must be 0 (use data.vocab_size) or >= data.vocab_size (" +
                                              std::to_string(data.vocab_size) + "), got " +
                                              std::to_string(m.vocab_size));
  }
  const int64_t longest = max_seq_len(data);
  if (m.max_position_embeddings > 0 && m.max_position_embeddings < longest) {
    const std::string what = is_text_task(data) ? "data.text.context_length" : "the longest input_seq_len";
    throw ConfigError("model.max_position_embeddings", "must be 0 (no learned positions) or >= " + what +
                                                           " (" + std::to_string(longest) + "), got " +
                                                           std::to_string(m.max_position_embeddings));
  }
  return m;
}

// A text run's train section: the optimizer plus the per-step schedule.
TrainConfig parse_text_train(const json& object, const DataConfig& data) {
  refuse_keys(object, "train", kMqarTrainKeys,
              "MQAR-only (text runs train for data.text.train_tokens and validate every train.eval_interval "
              "steps); remove it, or set data.task to \"mqar\"");
  ObjectReader r(object, "train");
  TrainConfig t;
  t.learning_rate = r.get_double("learning_rate", t.learning_rate, DoubleRange::positive());
  t.weight_decay = r.get_double("weight_decay", t.weight_decay, DoubleRange::non_negative());
  t.warmup_steps = r.get_int64("warmup_steps", t.warmup_steps, IntRange::non_negative());
  t.gradient_clip = r.get_double("gradient_clip", t.gradient_clip, DoubleRange::non_negative());
  t.eval_interval = r.get_int64("eval_interval", t.eval_interval, IntRange::non_negative());
  r.finish();
  const int64_t steps = text_train_steps(data);
  if (t.warmup_steps >= steps) {
    throw ConfigError("train.warmup_steps",
                      "must be less than the run's " + std::to_string(steps) +
                          " steps (data.text.train_tokens / (train batch size · context_length)), got " +
                          std::to_string(t.warmup_steps) + "; lower it or raise data.text.train_tokens");
  }
  return t;
}

TrainConfig parse_train(const json* value, const DataConfig& data) {
  static const json kEmpty = json::object();
  const json& object = value ? *value : kEmpty;
  if (is_text_task(data))
    return parse_text_train(object, data);
  refuse_keys(object, "train", kTextTrainKeys,
              "only text runs (data.task \"text\") read it; remove it, or set data.task to \"text\"");
  ObjectReader r(object, "train");
  TrainConfig t;
  t.max_epochs = r.get_int64("max_epochs", t.max_epochs, IntRange::positive());
  t.learning_rate = r.get_double("learning_rate", t.learning_rate, DoubleRange::positive());
  t.weight_decay = r.get_double("weight_decay", t.weight_decay, DoubleRange::non_negative());
  t.early_stopping_metric =
      r.get_string("early_stopping_metric", t.early_stopping_metric, StringRule::non_empty());
  t.early_stopping_threshold = r.get_double("early_stopping_threshold", t.early_stopping_threshold);
  t.slice_keys = r.get_string_list("slice_keys", t.slice_keys, StringRule::one_of(all_slice_keys()));
  t.shuffle = r.get_bool("shuffle", t.shuffle);
  t.accuracy_average =
      r.get_string("accuracy_average", t.accuracy_average, StringRule::one_of(kAccuracyAverages));
  t.lm_head = r.get_string("lm_head", t.lm_head, StringRule::one_of(kLmHeads));
  if (const json* inspect = r.get_object("inspect")) {
    ObjectReader i(*inspect, "train.inspect");
    t.inspect.records = i.get_bool("records", t.inspect.records);
    t.inspect.tracked_examples =
        i.get_int64("tracked_examples", t.inspect.tracked_examples, IntRange::non_negative());
    t.inspect.pattern_examples =
        i.get_int64("pattern_examples", t.inspect.pattern_examples, IntRange::non_negative());
    t.inspect.mixing_matrix = i.get_bool("mixing_matrix", t.inspect.mixing_matrix);
    i.finish();
  }
  r.finish();
  return t;
}

json module_to_json(const ModuleConfig& m) {
  return json{{"name", m.name}, {"kwargs", m.kwargs}};
}

json model_to_json(const ModelConfig& m) {
  return json{{"d_model", m.d_model},
              {"n_layers", m.n_layers},
              {"max_position_embeddings", m.max_position_embeddings},
              {"vocab_size", m.vocab_size},
              {"embed_dropout", m.embed_dropout},
              {"resid_dropout", m.resid_dropout},
              {"layer_norm_epsilon", m.layer_norm_epsilon},
              {"block_type", m.block_type},
              {"sequence_mixer", module_to_json(m.sequence_mixer)},
              {"state_mixer", module_to_json(m.state_mixer)}};
}

json segments_to_json(const std::vector<SegmentConfig>& segments) {
  json out = json::array();
  for (const auto& s : segments)
    out.push_back(segment_to_json(s));
  return out;
}

}  // namespace

RunConfig parse_run_config(const nlohmann::json& json) {
  ObjectReader r(json, "");
  RunConfig c;
  c.name = r.get_string("name", c.name, StringRule::non_empty());
  c.description = r.get_string("description", c.description);
  c.seed = r.get_uint64("seed", c.seed);
  // Every section is read before finish(), so a misspelt top-level key is reported with the
  // complete list of allowed keys.
  const nlohmann::json* data = r.get_object("data");
  const nlohmann::json* model = r.get_object("model");
  const nlohmann::json* train = r.get_object("train");
  r.finish();
  c.data = parse_data(data);
  c.model = parse_model(model, c.data);
  c.train = parse_train(train, c.data);
  return c;
}

RunConfig load_run_config_file(const std::string& path) {
  return parse_run_config(read_json_file(path, "configuration file"));
}

nlohmann::json segment_to_json(const SegmentConfig& s) {
  json out = resolve_task_params(find_task(s.task), s.params, "segment");
  out["task"] = s.task;
  out["input_seq_len"] = s.input_seq_len;
  out["num_examples"] = s.num_examples;
  return out;
}

namespace {

// A text run's configuration: only the keys text runs read (parse_run_config refuses the others).
nlohmann::json text_to_json(const RunConfig& c) {
  const auto& t = c.data.text;
  json data{{"task", c.data.task},
            {"vocab_size", c.data.vocab_size},
            {"batch_size", {c.data.train_batch_size, c.data.test_batch_size}},
            {"seed", c.data.seed},
            {"text",
             {{"shards", t.shards},
              {"context_length", t.context_length},
              {"train_tokens", t.train_tokens},
              {"valid_sequences", t.valid_sequences}}}};
  json train{{"learning_rate", c.train.learning_rate},
             {"weight_decay", c.train.weight_decay},
             {"warmup_steps", c.train.warmup_steps},
             {"gradient_clip", c.train.gradient_clip},
             {"eval_interval", c.train.eval_interval}};
  return json{{"name", c.name}, {"description", c.description},    {"seed", c.seed},
              {"data", data},   {"model", model_to_json(c.model)}, {"train", train}};
}

}  // namespace

nlohmann::json to_json(const RunConfig& c) {
  if (is_text_task(c.data))
    return text_to_json(c);
  json data{{"vocab_size", c.data.vocab_size},
            {"batch_size", {c.data.train_batch_size, c.data.test_batch_size}},
            {"seed", c.data.seed},
            {"cache_dir", c.data.cache_dir},
            {"train", segments_to_json(c.data.train)},
            {"test", segments_to_json(c.data.test)}};
  const json model = model_to_json(c.model);
  json train{{"max_epochs", c.train.max_epochs},
             {"learning_rate", c.train.learning_rate},
             {"weight_decay", c.train.weight_decay},
             {"early_stopping_metric", c.train.early_stopping_metric},
             {"early_stopping_threshold", c.train.early_stopping_threshold},
             {"slice_keys", c.train.slice_keys},
             {"shuffle", c.train.shuffle},
             {"accuracy_average", c.train.accuracy_average},
             {"lm_head", c.train.lm_head},
             {"inspect",
              {{"records", c.train.inspect.records},
               {"tracked_examples", c.train.inspect.tracked_examples},
               {"pattern_examples", c.train.inspect.pattern_examples},
               {"mixing_matrix", c.train.inspect.mixing_matrix}}}};
  return json{{"name", c.name}, {"description", c.description},
              {"seed", c.seed}, {"data", data},
              {"model", model}, {"train", train}};
}

int64_t effective_vocab_size(const RunConfig& config) {
  return config.model.vocab_size > 0 ? config.model.vocab_size : config.data.vocab_size;
}

int64_t max_seq_len(const DataConfig& data) {
  if (is_text_task(data))
    return data.text.context_length;
  int64_t longest = 0;
  for (const auto& s : data.train)
    longest = std::max(longest, s.input_seq_len);
  for (const auto& s : data.test)
    longest = std::max(longest, s.input_seq_len);
  return longest;
}

void make_text_paths_absolute(RunConfig& config) {
  auto& shards = config.data.text.shards;
  if (is_text_task(config.data) && !shards.empty()) {
    auto path = std::filesystem::absolute(shards).lexically_normal();
    if (path.filename().empty() && path.has_parent_path() && path != path.root_path()) {
      path = path.parent_path();  // "dir/" and "dir" name the same folder: store one spelling
    }
    shards = path.string();
  }
}

int64_t text_train_steps(const DataConfig& data) {
  // Configured values: the product may overflow (one step then takes more than the whole budget), and
  // ceil(a / b) is written so that a + b cannot.
  const CheckedSize per_step = CheckedSize(data.train_batch_size) * data.text.context_length;
  const int64_t budget = data.text.train_tokens;
  if (budget <= 0) {
    return 0;
  }
  if (!per_step.ok() || *per_step.value() == 0 || !per_step.within(static_cast<uint64_t>(budget))) {
    return 1;
  }
  const auto step = static_cast<int64_t>(*per_step.value());
  return budget / step + (budget % step != 0 ? 1 : 0);
}

}  // namespace zoolab
