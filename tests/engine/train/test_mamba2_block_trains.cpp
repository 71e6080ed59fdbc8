// model.block_type "mamba2" (Zoology's Mamba2Block with its Mamba2 mixer, models_repo.py's add_mamba2 at
// d_state 16) trains end to end on a tiny MQAR run through the real trainer: the run finishes and the
// training loss falls.

#include <numeric>

#include <gtest/gtest.h>

#include "engine/train/trainer.h"
#include "train_test_support.h"

namespace zoolab {
namespace {

TEST(Mamba2BlockTrains, FinishesATinyRunWithTheLossFalling) {
  auto json = train_test::tiny_config_json("mamba2");
  json["model"]["block_type"] = "mamba2";
  json["model"]["sequence_mixer"]["kwargs"] = {{"d_state", 16}};
  json["train"]["max_epochs"] = 4;
  const auto config = parse_run_config(json);
  ASSERT_EQ(config.model.block_type, "mamba2");

  const auto dir = train_test::temp_dir("mamba2-block");
  {
    Store store((dir / "runs.sqlite").string());
    const auto run = train_test::create_run(store, config);
    TrainOptions options;
    options.threads = 1;
    const auto result = train_run(store, run, config, options);
    ASSERT_EQ(result.status, RunStatus::Finished) << result.message;
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
    EXPECT_LT(mean(losses.end() - 8, losses.end()), mean(losses.begin(), losses.begin() + 8) - 0.05);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace zoolab
