#pragma once

// The run configuration (docs/architecture.md#configuration): strict JSON with Zoology's field names
// (docs/reference.md#model-fields and the sections around it). Parsing rejects unknown keys, wrong types and
// out-of-range values with a ConfigError naming the JSON path, the value and what is allowed.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/config/config_error.h"

namespace zoolab {

// One data segment (Zoology's DataSegmentConfig and its subclasses): a task of the task registry
// (engine/data/task_registry.h) with the task's own parameters. Every segment of a run shares
// DataConfig::vocab_size.
struct SegmentConfig {
  std::string task = "mqar";
  int64_t input_seq_len = 64;
  int64_t num_examples = 1000;
  // The task's parameters by their reference names ({"num_kv_pairs": 8, "power_a": 0.01, ...}); a parsed
  // segment has every one, defaults filled in. Segments built in code may set only what they change: the
  // accessors fall back to the task's defaults.
  nlohmann::json params = nlohmann::json::object();

  // A task parameter's value; throws ConfigError naming the key when the task has no such parameter.
  int64_t integer(const std::string& key) const;
  double number(const std::string& key) const;
  bool flag(const std::string& key) const;
  // Sets a task parameter (builders for segments made in code).
  SegmentConfig& with(const std::string& key, nlohmann::json value) {
    params[key] = std::move(value);
    return *this;
  }
};

// Language modelling on token shards (docs/architecture.md#text-pipeline): contiguous windows of
// context_length + 1 tokens from the shards folder's train.ztok, a token budget instead of epochs, and
// `valid_sequences` fixed windows of valid.ztok for validation (engine/train/text_trainer.h).
struct TextDataConfig {
  std::string shards;  // the folder `zoolab-cli data tokenize` wrote; made absolute when a run is created
  int64_t context_length = 128;    // tokens the model sees per sequence
  int64_t train_tokens = 1000000;  // budget: steps = ceil(train_tokens / (train batch size · context_length))
  int64_t valid_sequences = 64;    // evenly spaced, non-overlapping validation windows
};

struct DataConfig {
  // "mqar" (train/test segments, MQAR training) or "text" (data.text, text training). Written back by
  // to_json only for text runs, so MQAR configurations and their hashes are what they were before.
  std::string task = "mqar";
  int64_t vocab_size = 8192;
  int64_t train_batch_size = 32;  // "batch_size": N or [train, test]
  int64_t test_batch_size = 32;
  uint64_t seed = 123;
  std::vector<SegmentConfig> train;
  std::vector<SegmentConfig> test;
  std::string cache_dir;  // empty: the default cache beside the database
  TextDataConfig text;    // task "text" only
};

// A mixer reference: a registry name plus its keyword arguments (validated by the registry).
struct ModuleConfig {
  std::string name;
  nlohmann::json kwargs = nlohmann::json::object();
};

struct ModelConfig {
  int64_t d_model = 128;
  int64_t n_layers = 2;
  int64_t max_position_embeddings = 64;  // 0: no learned positions
  int64_t vocab_size = 0;                // 0: data.vocab_size
  double embed_dropout = 0.1;
  double resid_dropout = 0.0;
  double layer_norm_epsilon = 1e-5;
  // Zoology's block_type (docs/reference.md#model-fields): "transformer" (TransformerBlock), "mamba"
  // (MambaBlock: add, RMSNorm, mixer; requires the identity state mixer) or "mamba2" (Mamba2Block: the
  // same block, Zoology pairs it with the Mamba2 mixer).
  std::string block_type = "transformer";
  ModuleConfig sequence_mixer{"attention", nlohmann::json::object()};
  ModuleConfig state_mixer{"mlp", nlohmann::json{{"hidden_mult", 4}}};
};

// What evaluation records for the recall inspector (docs/architecture.md#what-evaluation-records). It never
// changes training, so it is left out of the checkpoint's configuration hash.
struct InspectConfig {
  bool records = true;            // per-query records: every test query at the final evaluation
  int64_t tracked_examples = 32;  // per test segment, recorded at every evaluation (0: none)
  int64_t pattern_examples = 2;   // first examples of the test split whose patterns are stored (0: none)
  // Store each layer's M[i, j] = ‖∂y_i/∂x_j‖ with the patterns: at every evaluation when
  // input_seq_len · d_model <= 1024 (a tiny model), else at the final evaluation only.
  bool mixing_matrix = true;
};

struct TrainConfig {
  int64_t max_epochs = 100;
  double learning_rate = 1e-3;
  double weight_decay = 0.1;
  std::string early_stopping_metric = "valid/accuracy";
  double early_stopping_threshold = 0.99;
  std::vector<std::string> slice_keys;
  // Paper-era behaviour (docs/reference.md#paper-era-options), off by default as at Zoology 0bb9665.
  bool shuffle = false;                      // reshuffle the training batches every epoch
  std::string accuracy_average = "example";  // "example" (mean of per-example accuracy) or "token"
  // "labelled": the LM head runs only at labelled positions (same loss, gradients and accuracy,
  // docs/reference.md#what-zoolab-adds); "all": every position, as Zoology does (for speed comparisons).
  std::string lm_head = "labelled";
  InspectConfig inspect;
  // Text runs only (data.task "text"); MQAR runs refuse them, as text runs refuse the MQAR keys above.
  int64_t warmup_steps = 0;    // linear warm-up to learning_rate over these steps, then cosine
  double gradient_clip = 1.0;  // clip the global gradient norm to this (0: no clipping)
  int64_t eval_interval = 0;   // validate every this many steps (0: only at the end); always at the end
};

struct RunConfig {
  std::string name = "default";
  std::string description;  // free text, shown by `zoolab-cli presets`
  uint64_t seed = 123;
  DataConfig data;
  ModelConfig model;
  TrainConfig train;
};

// Parses a run configuration. Throws ConfigError (path, value, allowed values) on any unknown key,
// wrong type or out-of-range value, and on impossible MQAR shapes (e.g. 4·kv > input_seq_len).
// Mixer kwargs are kept as given; validate_model_config() (engine/config/model_validation.h)
// checks them against the mixer registry.
RunConfig parse_run_config(const nlohmann::json& json);

// Reads and parses a JSON file; a syntax error names the file, line and column.
RunConfig load_run_config_file(const std::string& path);

// One segment with every default of its task filled in (the editor shows these for keys a segment leaves
// out): {"task", "input_seq_len", "num_examples", and the task's parameters}.
nlohmann::json segment_to_json(const SegmentConfig& segment);

// The full configuration with every default filled in (what the database stores for a run).
nlohmann::json to_json(const RunConfig& config);

// model.vocab_size with its default applied.
int64_t effective_vocab_size(const RunConfig& config);

// The longest input_seq_len over all train and test segments (the mixers' l_max); a text run's
// context_length.
int64_t max_seq_len(const DataConfig& data);

// Whether the run trains a language model on token shards (data.task "text").
inline bool is_text_task(const DataConfig& data) {
  return data.task == "text";
}

// Makes a text run's data.text.shards absolute (against the current directory), so that a worker
// started elsewhere finds the shards. Nothing else changes; MQAR configs are left alone.
void make_text_paths_absolute(RunConfig& config);

// Optimizer steps of a text run: ceil(train_tokens / (train_batch_size · context_length)).
int64_t text_train_steps(const DataConfig& data);

}  // namespace zoolab
