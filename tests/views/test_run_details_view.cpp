// RunDetailsView: what it shows of a run and which actions it offers in each state.

#include <gtest/gtest.h>

#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include <QFile>

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
  run.state_size = 65536;
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
  EXPECT_TRUE(view.fieldText("Model").endsWith("state size 64 KiB")) << view.fieldText("Model").toStdString();
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

// A text run (task "text") trains by token budget: its details speak of steps, tokens and perplexity,
// not of epochs and accuracy (its config has no max_epochs, it logs no accuracy).
TEST(RunDetailsView, DescribesATextRunInStepsTokensAndPerplexity) {
  QFile preset(QStringLiteral(ZOOLAB_SOURCE_DIR "/resources/presets/text-tiny-attention.json"));
  ASSERT_TRUE(preset.open(QIODevice::ReadOnly));
  RunRecord run = makeRun(7, "text-tiny-attention", "attention", RunStatus::Running, 1000);
  run.task = "text";
  run.config_json = preset.readAll().toStdString();
  run.steps = 128;
  run.epochs = 2;  // validations
  RunDetailsView view;
  view.show();
  MetricSummary perplexity = makeSummary("valid/perplexity", 130.5, 120.25);
  perplexity.best_step = 64;
  MetricSummary loss = makeSummary("valid/loss", 4.8714, 4.7896);
  loss.best_step = 64;
  view.setRun(run, {perplexity, loss}, {});
  // 384 steps of 16 x 128 tokens: 128 steps are 262,144 of the 786,432 tokens.
  EXPECT_EQ(view.fieldText("Progress"), "128 of 384 steps, 262,144 of 786,432 tokens");
  EXPECT_EQ(view.fieldLabel("Best accuracy"), "Best perplexity");
  EXPECT_EQ(view.fieldText("Best perplexity"), "120.25 (valid loss 4.7896) at step 64");

  // Before its first validation it says so; an MQAR run shown next gets its own labels back.
  view.setRun(run, {}, {});
  EXPECT_EQ(view.fieldText("Best perplexity"), "– (no validation yet)");
  view.setRun(failedRun(), {makeSummary("valid/accuracy", 0.5, 0.75)}, {});
  EXPECT_EQ(view.fieldLabel("Best accuracy"), "Best accuracy");
  EXPECT_EQ(view.fieldText("Progress"), "2 of 8 epochs, 400 steps");
}

// Cancelled is a state the user chose, not a failure: its end is labelled as a cancellation, and its
// message is the reason it stopped, in the ordinary colour; a failed run's error stays an error.
TEST(RunDetailsView, ACancelledRunIsAStateNotAnError) {
  RunRecord run = failedRun();
  run.status = RunStatus::Cancelled;
  run.error = "cancelled at step 120";
  run.finished_at = "2024-05-05T10:30:00Z";
  RunDetailsView view;
  view.show();
  view.setRun(run, {}, {});
  EXPECT_EQ(view.fieldLabel("Finished"), "Cancelled");
  EXPECT_EQ(view.fieldText("Cancelled"), "2024-05-05T10:30:00Z");
  EXPECT_EQ(view.fieldLabel("Error"), "Why it stopped");
  EXPECT_EQ(view.fieldText("Why it stopped"), "cancelled at step 120");
  EXPECT_FALSE(view.showsErrorColour());

  view.setRun(failedRun(), {}, {});
  EXPECT_EQ(view.fieldLabel("Finished"), "Failed");
  EXPECT_EQ(view.fieldLabel("Error"), "Error");
  EXPECT_TRUE(view.showsErrorColour());

  RunRecord finished = failedRun();
  finished.status = RunStatus::Finished;
  finished.error.clear();
  view.setRun(finished, {}, {});
  EXPECT_EQ(view.fieldLabel("Finished"), "Finished");
  EXPECT_FALSE(view.showsErrorColour());
}

}  // namespace
}  // namespace zoolab
