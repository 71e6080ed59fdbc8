// Every registered sequence mixer, with its default kwargs, trains end to end on a tiny MQAR run
// through the real trainer: the run finishes (no divergence, no exception) and the training loss
// falls. New mixers are covered by registering them (models/registry.cpp).

#include <numeric>

#include <gtest/gtest.h>

#include "engine/train/trainer.h"
#include "models/registry.h"
#include "train_test_support.h"

namespace zoolab {
namespace {

using train_test::sequence_mixers;

class EveryMixerTrains : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryMixerTrains, FinishesATinyRunWithTheLossFalling) {
  auto json = train_test::tiny_config_json();
  json["model"]["sequence_mixer"] = {{"name", GetParam()}, {"kwargs", nlohmann::json::object()}};
  json["model"]["max_position_embeddings"] = 0;
  json["train"]["max_epochs"] = 4;
  const auto config = parse_run_config(json);

  const auto dir = train_test::temp_dir("every-mixer");
  {
    Store store((dir / "runs.sqlite").string());
    const auto run = train_test::create_run(store, config);
    TrainOptions options;
    options.threads = 1;
    const auto result = train_run(store, run, config, options);
    ASSERT_EQ(result.status, RunStatus::Finished) << GetParam() << ": " << result.message;

    std::vector<double> losses;
    for (const auto& point : store.metrics(run)) {
      if (point.key == "train/loss") {
        losses.push_back(point.value);
      }
    }
    ASSERT_EQ(losses.size(), 4u * 8u);  // 256 examples / 32 per batch, 4 epochs
    const auto mean = [](auto first, auto last) {
      return std::accumulate(first, last, 0.0) / (last - first);
    };
    const double first_epoch = mean(losses.begin(), losses.begin() + 8);
    const double last_epoch = mean(losses.end() - 8, losses.end());
    EXPECT_LT(last_epoch, first_epoch - 0.05) << GetParam() << " did not learn";
  }
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryMixerTrains, ::testing::ValuesIn(sequence_mixers()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace zoolab
