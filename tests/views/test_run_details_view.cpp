// RunDetailsView: what it shows of a run and which actions it offers in each state.

#include <gtest/gtest.h>

#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include "tests/views/run_fixtures.h"
#include "views/run_details_view.h"

namespace zoolab {
namespace {

using testing::makeRun;
using testing::makeSummary;

RunRecord failedRun() {
  RunRecord run = makeRun(4, "hyena-d64", "hyena", RunStatus::Failed, 12345);
  run.config_json = R"({"model": {"d_model": 64, "n_layers": 2}, "train": {"max_epochs": 8}})";
  run.error = "model.sequence_mixer.kwargs.l_max: must be at least 64";
  run.epochs = 2;
  run.steps = 400;
  run.tags = "fig2";
  return run;
}

TEST(RunDetailsView, ShowsTheRunItsErrorCheckpointsAndConfig) {
  RunDetailsView view;
  view.show();
  CheckpointRecord checkpoint;
  checkpoint.epoch = 2;
  checkpoint.step = 400;
  checkpoint.path = "/tmp/db.files/runs/4/checkpoint-400.zlck";
  view.setRun(failedRun(), {makeSummary("valid/accuracy", 0.5, 0.75)}, {checkpoint});

  EXPECT_EQ(view.runId(), 4);
  EXPECT_EQ(view.fieldText("Status"), "failed");
  EXPECT_EQ(view.fieldText("Progress"), "2 of 8 epochs, 400 steps");
  EXPECT_TRUE(view.fieldText("Model").startsWith("d_model 64, 2 layers"));
  EXPECT_TRUE(view.fieldText("Best accuracy").startsWith("0.7500"));
  EXPECT_EQ(view.fieldText("Error"), "model.sequence_mixer.kwargs.l_max: must be at least 64");
  EXPECT_EQ(view.fieldText("Tags"), "fig2");
  EXPECT_TRUE(view.configText().contains("\"max_epochs\": 8"));

  // A failed run can be duplicated and deleted, not cancelled or resumed.
  EXPECT_FALSE(view.cancelButton()->isEnabled());
  EXPECT_FALSE(view.resumeButton()->isEnabled());
  EXPECT_TRUE(view.deleteButton()->isEnabled());
  QSignalSpy duplicate(&view, &RunDetailsView::duplicateRequested);
  QTest::mouseClick(view.duplicateButton(), Qt::LeftButton);
  ASSERT_EQ(duplicate.count(), 1);
  EXPECT_EQ(duplicate.at(0).at(0).toLongLong(), 4);
}

TEST(RunDetailsView, OffersTheActionsOfEachState) {
  RunDetailsView view;
  view.show();
  RunRecord run = failedRun();
  run.error.clear();

  run.status = RunStatus::Running;
  view.setRun(run, {}, {});
  EXPECT_TRUE(view.cancelButton()->isEnabled());
  EXPECT_FALSE(view.resumeButton()->isEnabled());
  EXPECT_FALSE(view.deleteButton()->isEnabled());
  QSignalSpy cancel(&view, &RunDetailsView::cancelRequested);
  QTest::mouseClick(view.cancelButton(), Qt::LeftButton);
  EXPECT_EQ(cancel.count(), 1);

  run.status = RunStatus::Interrupted;
  view.setRun(run, {}, {});
  EXPECT_FALSE(view.cancelButton()->isEnabled());
  EXPECT_TRUE(view.resumeButton()->isEnabled());
  QSignalSpy resume(&view, &RunDetailsView::resumeRequested);
  QTest::mouseClick(view.resumeButton(), Qt::LeftButton);
  EXPECT_EQ(resume.count(), 1);

  view.clear();
  EXPECT_FALSE(view.runId().has_value());
  QSignalSpy remove(&view, &RunDetailsView::deleteRequested);
  view.deleteButton()->click();  // hidden with the body; even a programmatic click requests nothing
  EXPECT_EQ(remove.count(), 0);
}

TEST(RunDetailsView, ShowsAConfigThatIsNotJsonAsStored) {
  RunDetailsView view;
  RunRecord run = failedRun();
  run.config_json = "{broken";
  view.setRun(run, {}, {});
  EXPECT_EQ(view.configText(), "{broken");
  EXPECT_EQ(view.fieldText("Progress"), "2 of ? epochs, 400 steps");
}

}  // namespace
}  // namespace zoolab
