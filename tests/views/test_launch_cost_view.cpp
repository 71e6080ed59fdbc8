// The launch cost beside the Configure tab's Launch button: what each state reads as, with units.

#include <gtest/gtest.h>

#include "views/launch_cost_view.h"

namespace zoolab {
namespace {

TEST(LaunchCostView, ReadsParametersStateWithUnitsAndTime) {
  LaunchCostView view;
  EXPECT_TRUE(view.text().isEmpty());

  LaunchCost cost;
  cost.state = LaunchCost::State::Estimating;
  view.setCost(cost);
  EXPECT_TRUE(view.text().contains(QStringLiteral("estimating…"))) << view.text().toStdString();

  cost.hasModel = true;
  cost.numParameters = 1'234'567;
  cost.stateBytes = 65536;
  cost.stateLength = 64;
  view.setCost(cost);
  EXPECT_EQ(view.text(),
            QStringLiteral("Cost: 1.23 M parameters · state 64 KiB (16.4 k floats) at 64 tokens · "
                           "estimating…"));

  cost.state = LaunchCost::State::Done;
  cost.hasTime = true;
  cost.secondsPerEpoch = 42.4;
  cost.maxEpochs = 10;
  view.setCost(cost);
  EXPECT_EQ(view.text(),
            QStringLiteral("Cost: 1.23 M parameters · state 64 KiB (16.4 k floats) at 64 tokens · "
                           "≈ 42 s per epoch, ≤ 7.1 min for 10 epochs"));

  cost.hasTime = false;
  cost.timeNote = QStringLiteral("time not estimated: zoolab-cli was not found");
  view.setCost(cost);
  EXPECT_TRUE(view.text().endsWith(cost.timeNote)) << view.text().toStdString();

  LaunchCost failed;
  failed.state = LaunchCost::State::Failed;
  failed.error = QStringLiteral("model.d_model: must be positive");
  view.setCost(failed);
  EXPECT_EQ(view.text(), QStringLiteral("Cost: no estimate (model.d_model: must be positive)"));
}

TEST(LaunchCostView, FormatsCountsBytesAndDurations) {
  EXPECT_EQ(costCountText(950), QStringLiteral("950"));
  EXPECT_EQ(costCountText(81'200), QStringLiteral("81.2 k"));
  EXPECT_EQ(costBytesText(512), QStringLiteral("512 B"));
  EXPECT_EQ(costBytesText(3 * 1024 * 1024 / 2), QStringLiteral("1.5 MiB"));
  EXPECT_EQ(costDurationText(0.25), QStringLiteral("0.25 s"));
  EXPECT_EQ(costDurationText(7200.0 * 1.5), QStringLiteral("3.0 h"));
  EXPECT_EQ(costDurationText(6000.0), QStringLiteral("100 min"));
  EXPECT_EQ(costDurationText(612000.0), QStringLiteral("7.1 days"));
}

}  // namespace
}  // namespace zoolab
