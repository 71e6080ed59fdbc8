// engine/config/run_memory.h: the memory a run needs, estimated from its configuration, and the
// refusals that name the field to lower. The limit is set with ZOOLAB_MEMORY_LIMIT so the tests do not
// depend on this machine's memory.

#include <gtest/gtest.h>

#include <string>

#include "engine/config/config_overrides.h"
#include "engine/config/presets.h"
#include "engine/config/run_memory.h"
#include "engine/config/sweep_file.h"
#include "tests/engine/core/config_test_support.h"

namespace zoolab {
namespace {

using config_test::contains;
using config_test::MemoryLimit;
using nlohmann::json;

RunMemoryEstimate estimate(const RunConfig& config) {
  return estimate_run_memory(config, config.model.sequence_mixer.kwargs, config.model.state_mixer.kwargs);
}

// The ConfigError of check_run_memory on mqar-quick with `assignments` (fails the test if none).
ConfigError memory_error(const std::vector<std::string>& assignments) {
  const RunConfig config = with_overrides(load_preset("mqar-quick"), assignments);
  try {
    check_run_memory(config, config.model.sequence_mixer.kwargs, config.model.state_mixer.kwargs);
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no ConfigError for " << ::testing::PrintToString(assignments);
  return ConfigError("", "");
}

uint64_t gib(uint64_t n) {
  return n << 30;
}

TEST(RunMemory, ParametersFollowTheModel) {
  // GPT-2 small with the padded vocabulary: 124.4M parameters (38.6M of them the tied embeddings).
  const RunMemoryEstimate paper = estimate(load_preset("text-paper-attention-125m"));
  ASSERT_TRUE(paper.parameters.ok());
  EXPECT_GT(*paper.parameters.value(), 123000000u);
  EXPECT_LT(*paper.parameters.value(), 126000000u);
  EXPECT_EQ(*paper.model_bytes.value(), *paper.parameters.value() * 16);
  EXPECT_EQ(*paper.data_bytes.value(), 0u);  // text runs read token shards from disk

  // mqar-quick: 50k + 1k examples of 64 tokens, inputs and labels at 8 bytes.
  const RunMemoryEstimate quick = estimate(load_preset("mqar-quick"));
  EXPECT_EQ(*quick.data_bytes.value(), uint64_t{51000} * 64 * 16);
  // Twice the layers: twice the layers' parameters.
  const RunMemoryEstimate deeper = estimate(with_overrides(load_preset("mqar-quick"), {"model.n_layers=4"}));
  const uint64_t embeddings = (2048 + 64) * 64;
  EXPECT_EQ(*deeper.parameters.value() - embeddings, 2 * (*quick.parameters.value() - embeddings) - 2 * 64);
}

TEST(RunMemory, BuiltInPresetsAndSweepsFitAModestMachine) {
  // Every preset and sweep point must validate on a machine with 10 GB: the estimate is a floor.
  for (const auto& preset : list_presets()) {
    const RunMemoryEstimate e = estimate(preset.config);
    ASSERT_TRUE(e.total().ok()) << preset.name;
    EXPECT_LT(*e.total().value(), gib(8)) << preset.name << ": " << *e.total().value();
  }
  for (const auto& sweep : list_sweep_presets()) {
    for (const auto& point : load_sweep_preset(sweep.name).points) {
      const RunMemoryEstimate e = estimate(parse_run_config(point.config));
      ASSERT_TRUE(e.total().ok()) << point.name;
      EXPECT_LT(*e.total().value(), gib(8)) << point.name << ": " << *e.total().value();
    }
  }
}

TEST(RunMemory, RefusalsNameTheFieldTheEstimateAndTheLimit) {
  const MemoryLimit limit("4G");
  // 1024 layers of width 4096: 69 billion parameters.
  ConfigError e = memory_error({"model.n_layers=1024", "model.d_model=4096"});
  EXPECT_EQ(e.path(), "model.n_layers");
  EXPECT_TRUE(contains(e.what(), "model.n_layers: 1024 is too large: the run needs about")) << e.what();
  EXPECT_TRUE(contains(e.what(), "more than the limit of 4.0 GiB (ZOOLAB_MEMORY_LIMIT)")) << e.what();
  EXPECT_TRUE(contains(e.what(), "model: 6.88e+10 parameters")) << e.what();
  // One layer at the widest allowed width: 17 billion parameters.
  e = memory_error({"model.d_model=65536"});
  EXPECT_EQ(e.path(), "model.d_model");
  // The batch, then the sequence length, of the activations.
  e = memory_error({"data.batch_size=1048576"});
  EXPECT_EQ(e.path(), "data.batch_size");
  EXPECT_TRUE(contains(e.what(), "one batch: ")) << e.what();
  e = memory_error({"data.train.0.input_seq_len=65536", "data.test.0.input_seq_len=65536",
                    "data.vocab_size=1000000", "model.max_position_embeddings=65536",
                    "data.train.0.num_examples=1", "data.test.0.num_examples=1"});
  EXPECT_EQ(e.path(), "data.train[0].input_seq_len");
  // The examples: one segment alone too large, or the largest part of the run.
  e = memory_error({"data.train.0.num_examples=1000000000000"});
  EXPECT_EQ(e.path(), "data.train[0].num_examples");
  EXPECT_TRUE(contains(e.what(), "1000000000000 examples of 64 tokens: holding their inputs and labels"))
      << e.what();
  e = memory_error({"data.train.0.num_examples=2100000", "data.test.0.num_examples=2100000"});
  EXPECT_EQ(e.path(), "data.train[0].num_examples");
  EXPECT_TRUE(contains(e.what(), "are the largest part of the run")) << e.what();
  // The preset itself fits.
  const RunConfig quick = load_preset("mqar-quick");
  EXPECT_NO_THROW(check_run_memory(quick, quick.model.sequence_mixer.kwargs, quick.model.state_mixer.kwargs));
}

// The modern mixers have estimates of their own (a fallback guess would ignore their kwargs): every zoo
// preset is estimated, and Mamba-2's d_state widens its in_proj as the module's does.
TEST(RunMemory, ModernMixersAreEstimatedByTheirOwnFormulas) {
  for (const char* preset :
       {"zoo-delta_net-L64-kv4-d64", "zoo-gated_delta_net-L64-kv4-d64", "zoo-gla-L64-kv4-d64",
        "zoo-mamba2-L64-kv4-d64", "zoo-rwkv7-L64-kv4-d64", "zoo-nsa-L64-kv4-d64", "zoo-ttt-L64-kv4-d64"}) {
    const RunConfig config = with_overrides(load_preset(preset), {});
    const auto estimate =
        estimate_run_memory(config, config.model.sequence_mixer.kwargs, config.model.state_mixer.kwargs);
    ASSERT_TRUE(estimate.parameters.ok()) << preset;
    EXPECT_GT(*estimate.parameters.value(), 0u) << preset;
  }
  const RunConfig mamba2 = with_overrides(load_preset("zoo-mamba2-L64-kv4-d64"), {});
  json wide = mamba2.model.sequence_mixer.kwargs;
  const auto narrow = estimate_run_memory(mamba2, wide, mamba2.model.state_mixer.kwargs).parameters;
  wide["d_state"] = 4096;
  const auto widened = estimate_run_memory(mamba2, wide, mamba2.model.state_mixer.kwargs).parameters;
  EXPECT_GT(*widened.value(), *narrow.value() + 2 * 2 * 64 * 4000);  // in_proj's B and C columns, 2 layers
}

TEST(RunMemory, MixerKwargsCount) {
  const RunConfig base = with_overrides(load_preset("mqar-quick"), {"model.state_mixer.name=mlp"});
  const auto parameters = [&](const json& state_kwargs) {
    return *estimate_run_memory(base, base.model.sequence_mixer.kwargs, state_kwargs).parameters.value();
  };
  // An MLP of hidden_mult h adds 2·h·d² + (h + 1)·d a layer.
  EXPECT_EQ(parameters({{"hidden_mult", 8}}) - parameters({{"hidden_mult", 4}}),
            2 * (2 * 4 * 64 * 64 + 4 * 64));
  // Mamba's selective scan holds expand · d_model · d_state floats a token.
  const RunConfig mamba = with_overrides(load_preset("fig2-mamba-L64-d64"), {});
  const json& kwargs = mamba.model.sequence_mixer.kwargs;
  json wide = kwargs;
  wide["d_state"] = 4096;
  const auto narrow_batch =
      estimate_run_memory(mamba, kwargs, mamba.model.state_mixer.kwargs).activation_bytes;
  const auto wide_batch = estimate_run_memory(mamba, wide, mamba.model.state_mixer.kwargs).activation_bytes;
  EXPECT_GT(*wide_batch.value(), 100 * *narrow_batch.value());
  // A kwarg far above its typical value is the one named.
  const MemoryLimit limit("1G");
  wide["expand"] = 64;
  try {
    check_run_memory(mamba, wide, mamba.model.state_mixer.kwargs);
    ADD_FAILURE() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), "model.sequence_mixer.kwargs.d_state");
  }
}

}  // namespace
}  // namespace zoolab
