// SweepDialog: rows of (path, values, zip group) expanded into a previewed, validated list of runs.

#include <gtest/gtest.h>

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>

#include "engine/config/sweep_file.h"
#include "views/config_editor.h"
#include "views/sweep_dialog.h"

namespace zoolab {
namespace {

using nlohmann::json;

json base() {
  json c = ConfigEditor::defaultConfig();
  c["name"] = "sw";
  return c;
}

TEST(SweepDialog, PreviewsAndReturnsTheGrid) {
  SweepDialog dialog(base(), {"model.d_model", "train.learning_rate"}, nullptr);
  EXPECT_FALSE(dialog.okButton()->isEnabled());  // no rows yet
  dialog.addRow("model.d_model");
  QTest::keyClicks(dialog.valuesEdit(0), "64, 128");
  QTest::mouseClick(dialog.addButton(), Qt::LeftButton);
  dialog.pathCombo(1)->setCurrentText("train.learning_rate");
  QTest::keyClicks(dialog.valuesEdit(1), "1e-3, 1e-2");
  dialog.updatePreview();

  EXPECT_EQ(dialog.previewTable()->rowCount(), 4);
  EXPECT_TRUE(dialog.windowTitle().contains("4")) << dialog.windowTitle().toStdString();
  EXPECT_EQ(dialog.previewTable()->item(3, 0)->text(), "sw-d_model=128-learning_rate=0.01");
  EXPECT_TRUE(dialog.okButton()->isEnabled());
  const std::vector<json> configs = dialog.configs();
  ASSERT_EQ(configs.size(), 4u);
  std::vector<std::pair<int, double>> seen;
  for (const auto& c : configs)
    seen.emplace_back(c["model"]["d_model"].get<int>(), c["train"]["learning_rate"].get<double>());
  EXPECT_EQ(seen, (std::vector<std::pair<int, double>>{{64, 1e-3}, {64, 1e-2}, {128, 1e-3}, {128, 1e-2}}));
}

// The dialog's sweep file expands, through the engine's parser, into exactly the runs it previews: the GUI
// enqueues it as a named sweep, as `zoolab-cli sweep` would.
TEST(SweepDialog, SpecIsASweepFileOfThePreviewedRuns) {
  SweepDialog dialog(base(), {}, nullptr);
  EXPECT_TRUE(dialog.nameEdit()->text().startsWith("sw-sweep-")) << dialog.nameEdit()->text().toStdString();
  dialog.nameEdit()->setText("widths");
  dialog.addRow("model.d_model", "64, 128");
  dialog.addRow("data.train.0.input_seq_len", "64, 128", 1);
  dialog.addRow("data.test.0.input_seq_len", "64, 128", 1);
  dialog.updatePreview();
  ASSERT_TRUE(dialog.okButton()->isEnabled());
  const SweepSpec spec = parse_sweep(dialog.spec());
  EXPECT_EQ(spec.name, "widths");
  const std::vector<json> configs = dialog.configs();
  ASSERT_EQ(spec.points.size(), configs.size());
  ASSERT_EQ(configs.size(), 4u);
  for (size_t i = 0; i < configs.size(); ++i)
    EXPECT_EQ(spec.points[i].config, configs[i]) << i;

  // Without a name there is nothing to enqueue.
  dialog.nameEdit()->clear();
  dialog.updatePreview();
  EXPECT_FALSE(dialog.okButton()->isEnabled());
  EXPECT_TRUE(dialog.errorLabel()->text().contains("name")) << dialog.errorLabel()->text().toStdString();
}

TEST(SweepDialog, InvalidRunsAreMarkedAndBlockOk) {
  const auto validator = [](const json& c) {
    return c["model"]["d_model"] == 128 ? QString("model.d_model: too large for this test") : QString();
  };
  SweepDialog dialog(base(), {}, validator);
  dialog.addRow("model.d_model", "64, 128");
  dialog.updatePreview();
  ASSERT_EQ(dialog.previewTable()->rowCount(), 2);
  EXPECT_FALSE(dialog.okButton()->isEnabled());
  const int check = dialog.previewTable()->columnCount() - 1;
  EXPECT_EQ(dialog.previewTable()->item(0, check)->text(), "ok");
  EXPECT_TRUE(dialog.previewTable()->item(1, check)->text().contains("too large"));
}

TEST(SweepDialog, ExpansionErrorsAreShownInline) {
  SweepDialog dialog(base(), {}, nullptr);
  dialog.addRow("model.d_modl", "64");
  dialog.updatePreview();
  EXPECT_TRUE(dialog.errorLabel()->isVisibleTo(&dialog));
  EXPECT_TRUE(dialog.errorLabel()->text().startsWith("model.d_modl:"));
  EXPECT_FALSE(dialog.okButton()->isEnabled());

  // A zip group whose lists differ in length.
  dialog.pathCombo(0)->setCurrentText("data.train.0.input_seq_len");
  dialog.valuesEdit(0)->setText("64, 128");
  dialog.zipSpin(0)->setValue(1);
  dialog.addRow("data.train.0.num_kv_pairs", "4", 1);
  dialog.updatePreview();
  EXPECT_TRUE(dialog.errorLabel()->text().contains("equal")) << dialog.errorLabel()->text().toStdString();
  dialog.valuesEdit(1)->setText("4, 8");
  dialog.updatePreview();
  EXPECT_FALSE(dialog.errorLabel()->isVisibleTo(&dialog));
  EXPECT_EQ(dialog.previewTable()->rowCount(), 2);
}

TEST(SweepDialog, ValuesParseAsJsonOrStrings) {
  EXPECT_EQ(SweepDialog::parseValues("64, 128"), json::parse("[64, 128]"));
  EXPECT_EQ(SweepDialog::parseValues("attention, \"based\""), json::parse(R"(["attention", "based"])"));
  EXPECT_EQ(SweepDialog::parseValues("[3, -1], 3"), json::parse("[[3, -1], 3]"));
  EXPECT_THROW(SweepDialog::parseValues("  "), std::invalid_argument);
}

TEST(SweepDialog, SeedsRepeatEveryRunAndGoIntoTheSweepFile) {
  SweepDialog dialog(base(), {"model.d_model"}, nullptr);
  QSpinBox* seeds = dialog.findChild<QSpinBox*>(QStringLiteral("sweepSeedsSpin"));
  ASSERT_EQ(seeds, dialog.seedsSpin());
  EXPECT_EQ(seeds->value(), 1);
  EXPECT_EQ(seeds->maximum(), 1000);
  seeds->setValue(3);
  dialog.updatePreview();
  // The base alone over 3 seeds is a sweep: no field row needed.
  EXPECT_EQ(dialog.previewTable()->rowCount(), 3);
  EXPECT_TRUE(dialog.okButton()->isEnabled());
  dialog.addRow("model.d_model", "64, 128");
  dialog.updatePreview();
  ASSERT_EQ(dialog.previewTable()->rowCount(), 6);
  const uint64_t first = base()["seed"].get<uint64_t>();
  EXPECT_EQ(dialog.previewTable()->item(1, 0)->text().toStdString(),
            "sw-d_model=64-seed=" + std::to_string(first + 1));
  const json spec = dialog.spec();
  EXPECT_EQ(spec["seeds"], 3);
  const SweepSpec parsed = parse_sweep(spec);
  ASSERT_EQ(parsed.points.size(), 6u);
  EXPECT_EQ(parsed.points[5].config, dialog.configs()[5]);
  EXPECT_EQ(dialog.configs()[5]["seed"], first + 2);
  seeds->setValue(1);
  dialog.updatePreview();
  EXPECT_FALSE(dialog.spec().contains("seeds"));
}

}  // namespace
}  // namespace zoolab
