// Training end to end on tiny MQAR runs: metrics under Zoology's names, checkpoints, exact resume,
// stop requests and divergence; damaged and foreign checkpoints refused on resume, leaving the run
// interrupted (resumable once the file is restored).

#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/config/presets.h"
#include "engine/formats/crc32c.h"
#include "engine/train/checkpoint.h"
#include "engine/train/model_setup.h"
#include "engine/train/resume_checks.h"
#include "engine/train/stop_request.h"
#include "engine/train/trainer.h"
#include "train_test_support.h"

namespace zoolab {
namespace {

using train_test::create_run;
using train_test::read_bytes;
using train_test::temp_dir;
using train_test::tiny_config_json;
using train_test::TrainingStoreTest;
using train_test::write_bytes;

// A checkpoint file with another header and a valid checksum: what a writer with a bug (or a person
// who edited the header) leaves. Only the position checks can refuse it.
std::string with_position(const std::string& bytes, const CheckpointPosition& position) {
  const auto parsed = parse_checkpoint(bytes, "original");
  const std::string payload = bytes.substr(parsed.payload_offset, parsed.payload_size);
  const std::string head = encode_checkpoint_head({position, parsed.header.torch_version});
  return head + payload + encode_checkpoint_trailer(head, payload);
}

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

// A run stopped mid-epoch 2 (step 11 of 3 × 8), with its checkpoint.
class ResumeCheckTest : public TrainerTest {
 protected:
  void SetUp() override {
    TrainerTest::SetUp();
    m_config = parse_run_config(tiny_config_json());
    m_run = create_run(*m_store, m_config);
    auto stopping = options();
    stopping.on_step = [](int64_t step, double) {
      if (step == 11) {
        request_stop();
      }
    };
    ASSERT_EQ(train_run(*m_store, m_run, m_config, stopping).status, RunStatus::Cancelled);
    clear_stop_request();
    m_path = m_store->latest_checkpoint(m_run)->path;
    m_good = read_bytes(m_path);
  }
  TrainResult resume() {
    auto resuming = options();
    resuming.resume = true;
    return train_run(*m_store, m_run, m_config, resuming);
  }
  // Resuming from `bytes` fails, leaves the run interrupted with a message containing `expected`.
  void expect_refused(const std::string& bytes, const std::string& expected) {
    write_bytes(m_path, bytes);
    const auto result = resume();
    EXPECT_EQ(result.status, RunStatus::Interrupted) << result.message;
    EXPECT_TRUE(result.input_error);
    EXPECT_NE(result.message.find("checkpoint " + m_path + ": "), std::string::npos) << result.message;
    EXPECT_NE(result.message.find(expected), std::string::npos) << result.message;
    const auto record = m_store->find_run(m_run);
    EXPECT_EQ(record->status, RunStatus::Interrupted);
    EXPECT_EQ(record->error, result.message);
    EXPECT_EQ(record->steps, 11) << "the progress recorded when it stopped is kept";
  }

  RunConfig m_config;
  int64_t m_run = 0;
  std::string m_path, m_good;
};

// Flipping any of 45 bits spread over the payload of a real checkpoint (the torch archive) is caught
// by the checksum before torch sees the file. Version 1 had no checksum: 28 of these resumed silently.
TEST_F(ResumeCheckTest, EveryFlippedPayloadBitIsRefused) {
  const auto parsed = parse_checkpoint(m_good, m_path);
  ASSERT_GT(parsed.payload_size, 1000u);
  for (int k = 0; k < 45; ++k) {
    const uint64_t bit = 8 * parsed.payload_offset + (8 * parsed.payload_size - 1) * k / 44;
    std::string damaged = m_good;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    write_bytes(m_path, damaged);
    EXPECT_THROW(read_checkpoint_file(m_path), CheckpointError) << "bit " << bit;
  }
  std::string damaged = m_good;
  damaged[parsed.payload_offset + parsed.payload_size / 2] ^= 0x20;
  expect_refused(damaged, "checksum mismatch");
}

// A checkpoint whose header says batch -3 (under a valid checksum) used to index before the run's
// batches (SIGSEGV) and leave the run running; now it is refused by the field, the run is left
// interrupted, and once the file is restored `resume` finishes the run.
TEST_F(ResumeCheckTest, AHeaderOutsideTheRunIsRefusedAndTheRestoredFileResumes) {
  const auto good = parse_checkpoint(m_good, m_path).header.position;
  ASSERT_EQ(good.epoch, 1);
  ASSERT_EQ(good.batch, 3);
  ASSERT_EQ(good.step, 11);
  auto position = good;
  position.batch = -3;
  expect_refused(with_position(m_good, position), "header field \"batch\" is -3");
  position = good;
  position.batch = 9;
  expect_refused(with_position(m_good, position),
                 "header field \"batch\" is 9; an epoch of this run has 8 batches");
  position = good;
  position.step = 4611686018427390719;
  expect_refused(with_position(m_good, position), "header field \"step\" is 4611686018427390719");
  position = good;
  position.epoch = 4;
  expect_refused(with_position(m_good, position), "header field \"epoch\" is 4; this run has 3 epochs");
  position = good;
  position.run_uid = "0123456789abcdef0123456789abcdef";
  expect_refused(with_position(m_good, position),
                 "belongs to the run with uid 0123456789abcdef0123456789abcdef");
  position = good;
  position.config_hash = "ffffffffffffffff";
  expect_refused(with_position(m_good, position), "belongs to another configuration");
  std::string big_header = m_good.substr(0, m_good.size() - 4);
  for (int i = 0; i < 8; ++i) {
    big_header[12 + i] = static_cast<char>((uint64_t{3'000'000'000} >> (8 * i)) & 0xff);
  }
  const uint32_t crc = crc32c(big_header);  // under a valid checksum: only the bound can refuse it
  for (int i = 0; i < 4; ++i) {
    big_header.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  }
  expect_refused(big_header, "header length 3000000000 is past the limit");

  write_bytes(m_path, m_good);
  const auto resumed = resume();
  ASSERT_EQ(resumed.status, RunStatus::Finished) << resumed.message;
  EXPECT_EQ(resumed.steps, 24);
  EXPECT_EQ(m_store->find_run(m_run)->status, RunStatus::Finished);
}

// A checkpoint written before version 2 (no checksum, no run_uid) still resumes its run.
TEST_F(ResumeCheckTest, VersionOneCheckpointsStillResume) {
  const auto parsed = parse_checkpoint(m_good, m_path);
  auto position = parsed.header.position;
  position.run_uid.clear();
  std::string v1 = with_position(m_good, position);
  v1.resize(v1.size() - 4);
  v1[8] = 1;
  write_bytes(m_path, v1);
  const auto resumed = resume();
  ASSERT_EQ(resumed.status, RunStatus::Finished) << resumed.message;
  EXPECT_EQ(resumed.steps, 24);
}

// The position rules of resume_checks.h, one by one.
TEST(ResumeChecks, EpochPositionsAsTheTrainerWritesThem) {
  const auto position = [](int64_t epoch, int64_t batch, int64_t step) {
    CheckpointPosition p;
    p.run_id = 1;
    p.epoch = epoch;
    p.batch = batch;
    p.step = step;
    p.config_hash = "0123456789abcdef";
    return p;
  };
  // 3 epochs of 8 batches: mid-epoch, at the end of an epoch (before and after its evaluation), done.
  for (const auto& p :
       {position(0, 0, 0), position(1, 3, 11), position(1, 8, 16), position(2, 0, 16), position(3, 0, 24)}) {
    EXPECT_NO_THROW(check_epoch_position(p, 3, 8, "c")) << p.epoch << " " << p.batch << " " << p.step;
  }
  for (const auto& p : {position(1, -3, 5), position(1, 9, 17), position(3, 1, 25), position(4, 0, 32),
                        position(-1, 0, 0), position(1, 3, 12), position(1, 3, 4611686018427390719)}) {
    EXPECT_THROW(check_epoch_position(p, 3, 8, "c"), CheckpointError)
        << p.epoch << " " << p.batch << " " << p.step;
  }
  // Text runs: 40 steps validated every 10 (4 validations).
  auto text = [&](int64_t validations, int64_t step) { return position(validations, step, step); };
  for (const auto& p : {text(0, 0), text(1, 13), text(2, 20), text(4, 40)}) {
    EXPECT_NO_THROW(check_step_position(p, 40, 4, 10, "c")) << p.epoch << " " << p.step;
  }
  for (const auto& p : {text(2, 13), text(3, 40), text(0, 41), position(1, 12, 13), text(0, -1)}) {
    EXPECT_THROW(check_step_position(p, 40, 4, 10, "c"), CheckpointError) << p.epoch << " " << p.step;
  }
  // eval_interval 0: one validation, at the end.
  EXPECT_NO_THROW(check_step_position(text(0, 39), 40, 1, 0, "c"));
  EXPECT_NO_THROW(check_step_position(text(1, 40), 40, 1, 0, "c"));
}

TEST(ResumeChecks, OwnerByUidWhenTheFileHasOneElseByRunId) {
  CheckpointPosition saved;
  saved.run_id = 3;
  saved.config_hash = "0123456789abcdef";
  saved.run_uid = "00aa";
  // `db merge` gave the run id 9 and kept its uid.
  EXPECT_NO_THROW(check_checkpoint_owner(saved, 9, "00aa", "0123456789abcdef", "c"));
  EXPECT_THROW(check_checkpoint_owner(saved, 3, "00bb", "0123456789abcdef", "c"), CheckpointError);
  EXPECT_THROW(check_checkpoint_owner(saved, 9, "00aa", "fedcba9876543210", "c"), CheckpointError);
  saved.run_uid.clear();  // version 1
  EXPECT_NO_THROW(check_checkpoint_owner(saved, 3, "00aa", "0123456789abcdef", "c"));
  EXPECT_THROW(check_checkpoint_owner(saved, 9, "00aa", "0123456789abcdef", "c"), CheckpointError);
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
  try {
    validate_model_config(parse_run_config(json));
    FAIL() << "accepted num_heads 5 at d_model 32";
  } catch (const ConfigError& error) {
    // A constraint found only when the mixer is built is still placed on the parameter's field.
    EXPECT_EQ(error.path(), "model.sequence_mixer.kwargs.num_heads") << error.what();
  }
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
