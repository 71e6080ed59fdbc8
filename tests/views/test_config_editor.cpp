// ConfigEditor driven through its widgets: validation, Launch, the JSON page and presets.

#include <gtest/gtest.h>

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTest>

#include "tests/views/config_editor_fixtures.h"
#include "views/config_editor.h"
#include "views/mixer_form.h"
#include "views/mixer_param_field.h"
#include "views/run_config_form.h"
#include "views/scientific_spin_box.h"
#include "views/segment_table.h"

namespace zoolab {
namespace {

using nlohmann::json;
using test::loadFixture;
using test::waitFor;

// Mimics the engine's model check: the message starts with the JSON path.
QString fakeValidator(const json& config) {
  const json& model = config.at("model");
  const int heads = model["sequence_mixer"]["kwargs"].value("num_heads", 1);
  const int d = model.value("d_model", 128);
  if (d % heads != 0)
    return QStringLiteral("model.d_model: must be a multiple of num_heads (%1), got %2").arg(heads).arg(d);
  // The engine quotes the value it read, as the real validator does ("got -0.0").
  if (const double lr = config["train"].value("learning_rate", 1e-3); !(lr > 0.0))
    return QStringLiteral("train.learning_rate: must be positive, got %1")
        .arg(QString::fromStdString(json(lr).dump()));
  if (config["data"]["train"][0].value("num_kv_pairs", 8) * 4 >
      config["data"]["train"][0].value("input_seq_len", 64))
    return QStringLiteral("data.train[0].num_kv_pairs: too many kv pairs");
  return QString();
}

class ConfigEditorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_editor.setMixerSpecs(loadFixture("mixers.json"));
    m_editor.setValidator(fakeValidator);
    m_editor.validateNow();
  }

  QSpinBox* spin(const char* path) { return qobject_cast<QSpinBox*>(m_editor.form()->widgetForPath(path)); }

  ConfigEditor m_editor;
};

TEST_F(ConfigEditorTest, InvalidValueDisablesLaunchUntilFixed) {
  ASSERT_TRUE(m_editor.isValid()) << m_editor.validationMessage().toStdString();
  ASSERT_TRUE(m_editor.launchButton()->isEnabled());
  auto* heads = qobject_cast<QSpinBox*>(m_editor.form()->sequenceMixerForm()->field("num_heads")->editor());
  heads->selectAll();
  QTest::keyClicks(heads, "4");
  QSpinBox* dModel = spin("model.d_model");
  ASSERT_NE(dModel, nullptr);
  dModel->selectAll();
  QTest::keyClicks(dModel, "66");

  // The debounced validation runs by itself.
  ASSERT_TRUE(waitFor([&] { return !m_editor.launchButton()->isEnabled(); }));
  EXPECT_FALSE(m_editor.sweepButton()->isEnabled());
  EXPECT_TRUE(m_editor.messageLabel()->isVisibleTo(&m_editor));
  EXPECT_TRUE(m_editor.messageLabel()->text().startsWith("model.d_model: must be a multiple of num_heads"));
  EXPECT_EQ(m_editor.invalidWidget(), dModel);
  EXPECT_TRUE(dModel->property("invalid").toBool());

  dModel->selectAll();
  QTest::keyClicks(dModel, "64");
  ASSERT_TRUE(waitFor([&] { return m_editor.launchButton()->isEnabled(); }));
  EXPECT_FALSE(dModel->property("invalid").toBool());
  EXPECT_FALSE(m_editor.messageLabel()->isVisibleTo(&m_editor));

  std::vector<json> launched;
  QObject::connect(&m_editor, &ConfigEditor::launchRequested, [&](const json& c) { launched.push_back(c); });
  QTest::mouseClick(m_editor.launchButton(), Qt::LeftButton);
  ASSERT_EQ(launched.size(), 1u);
  EXPECT_EQ(launched[0]["model"]["d_model"], 64);
  EXPECT_EQ(launched[0]["model"]["sequence_mixer"],
            json::parse(R"({"name": "attention", "kwargs": {"num_heads": 4}})"));
}

TEST_F(ConfigEditorTest, ANegativeLearningRateIsRefusedAsTypedNotShownAsZero) {
  auto* rate = qobject_cast<ScientificSpinBox*>(m_editor.form()->widgetForPath("train.learning_rate"));
  ASSERT_NE(rate, nullptr);
  QStringList refusals;
  QObject::connect(rate, &ScientificSpinBox::inputRefused, [&](const QString& why) { refusals << why; });
  rate->selectAll();
  QTest::keyClicks(rate, "-0.5");
  m_editor.validateNow();
  // The box and the configuration hold the same number: the minus sign was refused, and said so.
  EXPECT_EQ(rate->text(), QStringLiteral("0.5"));
  EXPECT_EQ(m_editor.config()["train"]["learning_rate"], 0.5);
  EXPECT_TRUE(m_editor.isValid()) << m_editor.validationMessage().toStdString();
  EXPECT_TRUE(rate->lastRefusal().contains("negative")) << rate->lastRefusal().toStdString();
  ASSERT_TRUE(waitFor([&] { return !refusals.isEmpty(); }));
  EXPECT_TRUE(refusals.front().contains("smallest value is 0")) << refusals.front().toStdString();

  // Zero is in the box's range but not the engine's: the message quotes what the box shows.
  rate->selectAll();
  QTest::keyClicks(rate, "0");
  m_editor.validateNow();
  EXPECT_EQ(rate->text(), QStringLiteral("0"));
  EXPECT_EQ(m_editor.validationMessage(), QStringLiteral("train.learning_rate: must be positive, got 0.0"));
  EXPECT_EQ(m_editor.invalidWidget(), rate);

  // Past the maximum (1000) the digit is refused too, rather than shown and silently not taken.
  rate->selectAll();
  QTest::keyClicks(rate, "5000");
  EXPECT_EQ(rate->text(), QStringLiteral("500"));
  EXPECT_EQ(m_editor.config()["train"]["learning_rate"], 500.0);
  EXPECT_TRUE(rate->lastRefusal().contains("5000 is above the largest value here, 1000"))
      << rate->lastRefusal().toStdString();
}

TEST_F(ConfigEditorTest, SegmentPathsMarkTheirCell) {
  SegmentTable* train = m_editor.form()->trainSegments();
  ASSERT_EQ(train->rowCount(), 1);
  auto* kv = qobject_cast<QSpinBox*>(train->cellEditor(0, "num_kv_pairs"));
  kv->setValue(40);
  m_editor.validateNow();
  EXPECT_FALSE(m_editor.launchButton()->isEnabled());
  EXPECT_EQ(m_editor.invalidWidget(), kv);
  EXPECT_EQ(m_editor.config()["data"]["train"][0]["num_kv_pairs"], 40);
  // A sweep can vary the common fields and the row's task parameters.
  const QStringList paths = m_editor.form()->fieldPaths();
  EXPECT_TRUE(paths.contains("data.train.0.input_seq_len"));
  EXPECT_TRUE(paths.contains("data.train.0.num_kv_pairs"));
  QTest::mouseClick(train->addButton(), Qt::LeftButton);
  EXPECT_EQ(m_editor.config()["data"]["train"].size(), 2u);
}

TEST_F(ConfigEditorTest, JsonPageAndFormStayInSync) {
  spin("model.d_model")->setValue(96);
  const json shown = json::parse(m_editor.jsonEdit()->toPlainText().toStdString());
  EXPECT_EQ(shown["model"]["d_model"], 96);

  json edited = shown;
  edited["model"]["n_layers"] = 5;
  edited["model"]["sequence_mixer"] = {{"name", "base_conv"}, {"kwargs", {{"kernel_size", 7}}}};
  m_editor.jsonEdit()->setPlainText(QString::fromStdString(edited.dump(2)));
  EXPECT_EQ(spin("model.n_layers")->value(), 5);
  EXPECT_EQ(m_editor.form()->sequenceMixerCombo()->currentText(), "base_conv");
  EXPECT_EQ(m_editor.form()->sequenceMixerForm()->kwargs(), json::parse(R"({"kernel_size": 7})"));
  EXPECT_EQ(m_editor.config(), edited);
}

TEST_F(ConfigEditorTest, InspectorSettingsEditNestedTrainKeys) {
  ASSERT_NE(spin("train.inspect.tracked_examples"), nullptr);
  spin("train.inspect.tracked_examples")->setValue(7);
  auto* records = qobject_cast<QCheckBox*>(m_editor.form()->widgetForPath("train.inspect.records"));
  ASSERT_NE(records, nullptr);
  records->setChecked(false);
  const json shown = json::parse(m_editor.jsonEdit()->toPlainText().toStdString());
  EXPECT_EQ(shown["train"]["inspect"]["tracked_examples"], 7);
  EXPECT_EQ(shown["train"]["inspect"]["records"], false);

  json edited = shown;
  edited["train"]["inspect"]["pattern_examples"] = 3;
  m_editor.jsonEdit()->setPlainText(QString::fromStdString(edited.dump(2)));
  ASSERT_NE(spin("train.inspect.pattern_examples"), nullptr);
  EXPECT_EQ(spin("train.inspect.pattern_examples")->value(), 3);
}

TEST_F(ConfigEditorTest, BrokenJsonShowsWhereAndKeepsTheForm) {
  const json before = m_editor.config();
  m_editor.jsonEdit()->setPlainText("{\n  \"name\": \"x\",\n  \"seed\": ,\n}");
  EXPECT_FALSE(m_editor.jsonErrorLabel()->isHidden());  // on the JSON page, not the current tab
  EXPECT_TRUE(m_editor.jsonErrorLabel()->text().contains("line 3, column"))
      << m_editor.jsonErrorLabel()->text().toStdString();
  EXPECT_EQ(m_editor.config(), before);
  m_editor.validateNow();
  EXPECT_FALSE(m_editor.launchButton()->isEnabled());
  // Editing the form again rewrites the text from the form.
  spin("model.n_layers")->setValue(3);
  EXPECT_TRUE(m_editor.jsonErrorLabel()->isHidden());
  EXPECT_EQ(json::parse(m_editor.jsonEdit()->toPlainText().toStdString())["model"]["n_layers"], 3);
}

TEST_F(ConfigEditorTest, PresetSelectionLoadsItAndUnshownFieldsSurvive) {
  json preset = loadFixture("preset_small.json");
  preset["train"]["future_option"] = "kept";
  m_editor.setPresets({{"small-attention", preset}});
  ASSERT_EQ(m_editor.presetCombo()->count(), 2);
  m_editor.presetCombo()->setCurrentIndex(1);
  Q_EMIT m_editor.presetCombo()->activated(1);
  EXPECT_EQ(m_editor.config(), preset);
  EXPECT_EQ(spin("model.d_model")->value(), 48);
  EXPECT_EQ(spin("data.batch_size.1")->value(), 64);
  EXPECT_EQ(m_editor.form()->sequenceMixerForm()->kwargs(),
            json::parse(R"({"num_heads": 2, "dropout": 0.1})"));

  auto* name = qobject_cast<QLineEdit*>(m_editor.form()->widgetForPath("name"));
  name->clear();
  QTest::keyClicks(name, "renamed");
  const json after = m_editor.config();
  EXPECT_EQ(after["name"], "renamed");
  EXPECT_EQ(after["train"]["future_option"], "kept");
  EXPECT_FALSE(after["train"].contains("weight_decay"));  // not written unless edited
  EXPECT_EQ(after["data"]["train"], preset["data"]["train"]);

  Q_EMIT m_editor.presetCombo()->activated(0);  // from scratch
  EXPECT_EQ(m_editor.config(), ConfigEditor::defaultConfig());
}

// A preset's description states what that configuration measured: an edited launch must not carry the
// claim to another run. Renaming is no edit; the user's own description is kept.
TEST_F(ConfigEditorTest, AnEditedPresetNoLongerCarriesItsMeasuredDescription) {
  json preset = loadFixture("preset_small.json");
  preset["description"] = "Attention at d_model 48: measured 0.9935";
  m_editor.setPresets({{"small-attention", preset}});
  m_editor.presetCombo()->setCurrentIndex(1);
  Q_EMIT m_editor.presetCombo()->activated(1);
  auto* description = qobject_cast<QLineEdit*>(m_editor.form()->widgetForPath("description"));
  ASSERT_NE(description, nullptr);
  auto* name = qobject_cast<QLineEdit*>(m_editor.form()->widgetForPath("name"));
  name->clear();
  QTest::keyClicks(name, "renamed");
  EXPECT_EQ(m_editor.config()["description"], "Attention at d_model 48: measured 0.9935");

  QSpinBox* dModel = spin("model.d_model");
  dModel->selectAll();
  QTest::keyClicks(dModel, "64");
  ASSERT_EQ(m_editor.config()["model"]["d_model"], 64);
  EXPECT_EQ(m_editor.config()["description"], "Edited from preset small-attention.");
  EXPECT_EQ(description->text(), "Edited from preset small-attention.");
  EXPECT_TRUE(m_editor.jsonEdit()->toPlainText().contains("Edited from preset small-attention."));
  m_editor.validateNow();
  ASSERT_TRUE(m_editor.isValid()) << m_editor.validationMessage().toStdString();
  std::vector<json> launched;
  QObject::connect(&m_editor, &ConfigEditor::launchRequested, &m_editor,
                   [&launched](const json& config) { launched.push_back(config); });
  m_editor.launchButton()->click();
  ASSERT_EQ(launched.size(), 1u);
  EXPECT_EQ(launched[0]["description"], "Edited from preset small-attention.");

  // The user's own description stays.
  description->selectAll();
  QTest::keyClicks(description, "wider model");
  EXPECT_EQ(m_editor.config()["description"], "wider model");

  // A duplicated run's configuration (no preset name): an edit drops the description.
  m_editor.setConfig(preset);
  EXPECT_EQ(m_editor.config()["description"], "Attention at d_model 48: measured 0.9935");
  dModel->selectAll();
  QTest::keyClicks(dModel, "96");
  EXPECT_FALSE(m_editor.config().contains("description")) << m_editor.config().dump();
}

}  // namespace
}  // namespace zoolab
