// Training end to end on tiny MQAR runs: metrics under Zoology's names, checkpoints, exact resume,
// stop requests and divergence.

#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/config/presets.h"
#include "engine/train/checkpoint.h"
#include "engine/train/model_setup.h"
#include "engine/train/stop_request.h"
#include "engine/train/trainer.h"
#include "train_test_support.h"

namespace zoolab {
namespace {

using train_test::create_run;
using train_test::temp_dir;
using train_test::tiny_config_json;
using train_test::TrainingStoreTest;

std::map<std::string, std::vector<double>> metric_series(const Store& store, int64_t run) {
  std::map<std::string, std::vector<double>> series;
  for (const auto& point : store.metrics(run)) {
    series[point.key].push_back(point.value);
  }
  return series;
}

class TrainerTest : public TrainingStoreTest {
 protected:
  TrainerTest() : TrainingStoreTest("trainer") {}
};

TEST_F(TrainerTest, RecordsZoologyMetricsAndACheckpoint) {
  const auto config = parse_run_config(tiny_config_json());
  const auto run = create_run(*m_store, config);
  const auto result = train_run(*m_store, run, config, options());
  ASSERT_EQ(result.status, RunStatus::Finished) << result.message;

  const auto record = m_store->find_run(run);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->status, RunStatus::Finished);
  EXPECT_EQ(record->epochs, 3);
  EXPECT_EQ(record->steps, 3 * 8);  // 256 examples / 32 per batch, 3 epochs
  EXPECT_GT(record->num_parameters, 64 * 32);
  // Attention state: 2 layers · 2·d·L floats · 4 bytes.
  EXPECT_EQ(record->state_size, 4 * 2 * (2 * 32 * 16));

  const auto series = metric_series(*m_store, run);
  EXPECT_EQ(series.at("train/loss").size(), 24u);
  EXPECT_EQ(series.at("valid/accuracy").size(), 3u);
  EXPECT_EQ(series.at("valid/loss").size(), 3u);
  // Per-slice accuracy for each test segment's kv count.
  EXPECT_EQ(series.at("valid/num_kv_pairs/accuracy-2").size(), 3u);
  EXPECT_EQ(series.at("valid/num_kv_pairs/accuracy-3").size(), 3u);
  // valid/accuracy is the mean over examples: 64 examples of the kv=2 slice, 32 of the kv=3 one.
  const double expected = (64 * series.at("valid/num_kv_pairs/accuracy-2").back() +
                           32 * series.at("valid/num_kv_pairs/accuracy-3").back()) /
                          96.0;
  EXPECT_NEAR(series.at("valid/accuracy").back(), expected, 1e-9);
  // Training makes progress on the loss.
  EXPECT_LT(series.at("train/loss").back(), series.at("train/loss").front());

  const auto checkpoint = m_store->latest_checkpoint(run);
  ASSERT_TRUE(checkpoint);
  EXPECT_EQ(checkpoint->step, 24);
  EXPECT_TRUE(std::filesystem::exists(checkpoint->path));
  const auto position = read_checkpoint_position(checkpoint->path);
  EXPECT_EQ(position.epoch, 3);
  EXPECT_EQ(position.batch, 0);
}

TEST_F(TrainerTest, ResumeAfterAStopReproducesTheUninterruptedRun) {
  for (const bool shuffle : {false, true}) {
    auto json = tiny_config_json();
    json["train"]["shuffle"] = shuffle;
    const auto config = parse_run_config(json);

    const auto reference_run = create_run(*m_store, config);
    ASSERT_EQ(train_run(*m_store, reference_run, config, options()).status, RunStatus::Finished);

    const auto stopped_run = create_run(*m_store, config);
    auto stopping = options();
    stopping.on_step = [](int64_t step, double) {
      if (step == 11) {  // mid-epoch 2
        request_stop();
      }
    };
    const auto stopped = train_run(*m_store, stopped_run, config, stopping);
    ASSERT_EQ(stopped.status, RunStatus::Cancelled) << stopped.message;
    EXPECT_EQ(stopped.steps, 11);
    clear_stop_request();

    auto resuming = options();
    resuming.resume = true;
    const auto resumed = train_run(*m_store, stopped_run, config, resuming);
    ASSERT_EQ(resumed.status, RunStatus::Finished) << resumed.message;

    const auto expected = metric_series(*m_store, reference_run);
    const auto actual = metric_series(*m_store, stopped_run);
    ASSERT_EQ(expected.size(), actual.size());
    for (const auto& [key, values] : expected) {
      if (key == "epoch") {
        continue;
      }
      ASSERT_EQ(actual.at(key).size(), values.size()) << key;
      for (size_t i = 0; i < values.size(); ++i) {
        EXPECT_EQ(actual.at(key)[i], values[i]) << key << "[" << i << "] shuffle=" << shuffle;
      }
    }
  }
}

TEST_F(TrainerTest, ResumeAfterAKillWithoutCheckpointRestartsCleanly) {
  const auto config = parse_run_config(tiny_config_json());
  const auto run = create_run(*m_store, config);
  // What a killed trainer leaves: a running run with a dead pid, metrics and no checkpoint.
  m_store->mark_started(run, 999999999, "cpu");
  m_store->append_metrics({{0, run, "train/loss", 1, 9.0, 0, 0.1}});
  EXPECT_EQ(m_store->reap_dead_runs(), std::vector<int64_t>{run});
  auto resuming = options();
  resuming.resume = true;
  ASSERT_EQ(train_run(*m_store, run, config, resuming).status, RunStatus::Finished);
  const auto losses = m_store->metrics(run, "train/loss");
  ASSERT_EQ(losses.size(), 24u);
  EXPECT_NE(losses.front().value, 9.0);
}

TEST_F(TrainerTest, EarlyStopsWhenTheMetricExceedsTheThreshold) {
  auto json = tiny_config_json();
  json["train"]["early_stopping_metric"] = "valid/loss";
  json["train"]["early_stopping_threshold"] = -1.0;  // any loss exceeds it: stop after epoch 1
  const auto config = parse_run_config(json);
  const auto run = create_run(*m_store, config);
  const auto result = train_run(*m_store, run, config, options());
  EXPECT_EQ(result.status, RunStatus::Finished);
  EXPECT_EQ(result.epochs, 1);
  EXPECT_NE(result.message.find("early stop"), std::string::npos);
}

TEST_F(TrainerTest, ANonFiniteLossMarksTheRunDiverged) {
  auto json = tiny_config_json("base_conv");
  json["train"]["learning_rate"] = 1e30;
  const auto config = parse_run_config(json);
  const auto run = create_run(*m_store, config);
  const auto result = train_run(*m_store, run, config, options());
  ASSERT_EQ(result.status, RunStatus::Diverged) << result.message;
  const auto record = m_store->find_run(run);
  EXPECT_EQ(record->status, RunStatus::Diverged);
  EXPECT_NE(record->error.find("at step"), std::string::npos) << record->error;
}

TEST_F(TrainerTest, TheLabelledHeadTrainsExactlyLikeTheFullHead) {
  auto json = tiny_config_json();
  json["model"]["sequence_mixer"]["kwargs"]["dropout"] = 0.0;
  json["model"]["embed_dropout"] = 0.0;
  json["train"]["max_epochs"] = 1;
  const auto labelled = parse_run_config(json);
  json["train"]["lm_head"] = "all";
  const auto all = parse_run_config(json);
  const auto a = create_run(*m_store, labelled);
  const auto b = create_run(*m_store, all);
  ASSERT_EQ(train_run(*m_store, a, labelled, options()).status, RunStatus::Finished);
  ASSERT_EQ(train_run(*m_store, b, all, options()).status, RunStatus::Finished);
  const auto la = m_store->metrics(a, "train/loss"), lb = m_store->metrics(b, "train/loss");
  ASSERT_EQ(la.size(), lb.size());
  for (size_t i = 0; i < la.size(); ++i) {
    EXPECT_NEAR(la[i].value, lb[i].value, 1e-4 * std::abs(lb[i].value)) << "step " << i + 1;
  }
}

TEST_F(TrainerTest, AFailureIsRecordedOnTheRun) {
  auto json = tiny_config_json();
  json["data"]["cache_dir"] = "/proc/no-such-place/cache";  // cannot be created
  const auto config = parse_run_config(json);
  const auto run = create_run(*m_store, config);
  const auto result = train_run(*m_store, run, config, options());
  EXPECT_EQ(result.status, RunStatus::Failed);
  EXPECT_FALSE(m_store->find_run(run)->error.empty());
}

TEST(ModelValidation, NamesTheOffendingField) {
  auto json = tiny_config_json();
  json["model"]["sequence_mixer"]["kwargs"]["num_head"] = 2;
  try {
    validate_model_config(parse_run_config(json));
    FAIL() << "accepted an unknown mixer parameter";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.path(), "model.sequence_mixer.kwargs.num_head");
  }
  json = tiny_config_json();
  json["model"]["sequence_mixer"]["name"] = "attn";
  EXPECT_THROW(validate_model_config(parse_run_config(json)), ConfigError);
  json = tiny_config_json();
  json["model"]["sequence_mixer"]["kwargs"]["num_heads"] = 5;  // does not divide d_model 32
  EXPECT_THROW(validate_model_config(parse_run_config(json)), ConfigError);
  json = tiny_config_json("base_conv");
  json["model"]["sequence_mixer"]["kwargs"]["kernel_size"] = nlohmann::json::array({3});  // 2 layers
  EXPECT_THROW(validate_model_config(parse_run_config(json)), ConfigError);
}

TEST(Presets, EveryPresetBuildsAndRunsItsModel) {
  const auto presets = list_presets();
  ASSERT_GE(presets.size(), 3u);
  for (const auto& preset : presets) {
    EXPECT_NO_THROW(validate_model_config(preset.config)) << preset.name;
  }
}

TEST(Checkpoint, RefusesFilesThatAreNotCheckpoints) {
  const auto dir = temp_dir("checkpoint");
  const auto path = (dir / "bad.zlck").string();
  std::ofstream(path) << "not a checkpoint at all";
  EXPECT_THROW(
      {
        try {
          read_checkpoint_position(path);
        } catch (const std::runtime_error& error) {
          EXPECT_NE(std::string(error.what()).find("magic"), std::string::npos);
          throw;
        }
      },
      std::runtime_error);
  EXPECT_THROW(read_checkpoint_position((dir / "missing.zlck").string()), std::runtime_error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace zoolab
