// MixerForm, MixerParamField and MixerListEditor over the hand-written registry in fixtures/mixers.json.

#include <gtest/gtest.h>

#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTest>
#include <QToolButton>

#include "tests/views/config_editor_fixtures.h"
#include "views/mixer_form.h"
#include "views/mixer_list_editor.h"
#include "views/mixer_param_field.h"

namespace zoolab {
namespace {

using nlohmann::json;
using test::fixtureSpec;
using test::loadFixture;

TEST(MixerForm, ProducesExactlyTheTypedKwargsAndOmitsDefaults) {
  const json registry = loadFixture("mixers.json");
  MixerForm form(fixtureSpec(registry, "attention"), registry);
  form.show();  // clicks land on laid-out widgets
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&form));
  EXPECT_EQ(form.kwargs(), json::object());
  int changes = 0;
  QObject::connect(&form, &MixerForm::kwargsChanged, [&] { ++changes; });

  auto* heads = qobject_cast<QSpinBox*>(form.field("num_heads")->editor());
  ASSERT_NE(heads, nullptr);
  EXPECT_EQ(heads->value(), 1);  // the default is shown
  EXPECT_EQ(heads->minimum(), 1);
  EXPECT_TRUE(heads->toolTip().contains("must divide d_model"));
  heads->selectAll();
  QTest::keyClicks(heads, "4");
  auto* bias = qobject_cast<QCheckBox*>(form.field("bias")->editor());
  ASSERT_NE(bias, nullptr);
  QTest::mouseClick(bias, Qt::LeftButton);
  EXPECT_EQ(form.kwargs(), json::parse(R"({"num_heads": 4, "bias": false})"));
  EXPECT_GT(changes, 0);

  // Reset omits the key again; typing the default back omits it too.
  QTest::mouseClick(form.field("num_heads")->resetButton(), Qt::LeftButton);
  EXPECT_EQ(heads->value(), 1);
  QTest::mouseClick(bias, Qt::LeftButton);
  EXPECT_EQ(form.kwargs(), json::object());
  EXPECT_FALSE(form.field("bias")->resetButton()->isEnabled());

  auto* dropout = qobject_cast<QDoubleSpinBox*>(form.field("dropout")->editor());
  ASSERT_NE(dropout, nullptr);
  EXPECT_DOUBLE_EQ(dropout->maximum(), 0.999);
  dropout->setValue(0.25);
  EXPECT_EQ(form.kwargs(), json::parse(R"({"dropout": 0.25})"));
}

TEST(MixerForm, IntListsNullDefaultsChoicesAndSmallFloats) {
  const json registry = loadFixture("mixers.json");
  MixerForm conv(fixtureSpec(registry, "base_conv"), registry);
  auto* kernel = qobject_cast<QLineEdit*>(conv.field("kernel_size")->editor());
  ASSERT_NE(kernel, nullptr);
  kernel->clear();
  QTest::keyClicks(kernel, "3, -1");
  EXPECT_EQ(conv.kwargs(), json::parse(R"({"kernel_size": [3, -1]})"));
  kernel->clear();
  QTest::keyClicks(kernel, "5");
  EXPECT_EQ(conv.kwargs(), json::parse(R"({"kernel_size": 5})"));
  // l_max's default is null ("from the data"): omitted until a number is set.
  auto* lmax = qobject_cast<QSpinBox*>(conv.field("l_max")->editor());
  EXPECT_EQ(lmax->value(), lmax->minimum());
  lmax->setValue(128);
  EXPECT_EQ(conv.kwargs(), json::parse(R"({"kernel_size": 5, "l_max": 128})"));

  MixerForm based(fixtureSpec(registry, "based"), registry);
  auto* feature = qobject_cast<QComboBox*>(based.field("feature_name")->editor());
  ASSERT_NE(feature, nullptr);
  EXPECT_EQ(feature->currentText(), "taylor_exp");
  feature->setCurrentText("relu");
  auto* eps = qobject_cast<QDoubleSpinBox*>(based.field("eps")->editor());
  EXPECT_EQ(eps->text(), "1e-12");  // not 0.000000
  eps->selectAll();
  QTest::keyClicks(eps, "1e-6");
  EXPECT_EQ(based.kwargs(), json::parse(R"({"feature_name": "relu", "eps": 1e-6})"));
}

TEST(MixerForm, SetKwargsFillsFieldsAndReportsUnknownKeys) {
  const json registry = loadFixture("mixers.json");
  MixerForm form(fixtureSpec(registry, "attention"), registry);
  const QStringList problems =
      form.setKwargs(json::parse(R"({"num_heads": 2, "num_head": 3, "dropout": "x"})"));
  ASSERT_EQ(problems.size(), 2);
  EXPECT_TRUE(problems.join(" ").contains("num_head:"));
  EXPECT_TRUE(problems.join(" ").contains("dropout"));
  EXPECT_EQ(qobject_cast<QSpinBox*>(form.field("num_heads")->editor())->value(), 2);
  // Nothing is dropped: the validator will name both keys.
  EXPECT_EQ(form.kwargs(), json::parse(R"({"num_heads": 2, "num_head": 3, "dropout": "x"})"));
  // Editing the field replaces the value kept as given.
  qobject_cast<QDoubleSpinBox*>(form.field("dropout")->editor())->setValue(0.5);
  EXPECT_EQ(form.kwargs(), json::parse(R"({"num_heads": 2, "num_head": 3, "dropout": 0.5})"));
  EXPECT_EQ(form.problems().size(), 1);
}

TEST(MixerForm, HybridListEditsNestedMixers) {
  const json registry = loadFixture("mixers.json");
  MixerForm form(fixtureSpec(registry, "hybrid"), registry);
  form.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&form));
  MixerListEditor* list = form.field("configs")->listEditor();
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->rowCount(), 2);  // the default list
  EXPECT_EQ(list->nameCombo(0)->currentText(), "base_conv");
  EXPECT_EQ(list->nameCombo(1)->findText("hybrid"), -1);  // no nesting without end
  EXPECT_EQ(form.kwargs(), json::object());

  auto* kernel = qobject_cast<QLineEdit*>(list->form(0)->field("kernel_size")->editor());
  kernel->clear();
  QTest::keyClicks(kernel, "-1");
  qobject_cast<QSpinBox*>(list->form(1)->field("num_heads")->editor())->setValue(2);
  EXPECT_EQ(form.kwargs(), json::parse(R"({"configs": [{"name": "base_conv", "kwargs": {"kernel_size": -1}},
                                                       {"name": "attention", "kwargs": {"num_heads": 2}}]})"));
  EXPECT_EQ(form.editorForPath("configs[1].kwargs.num_heads"), list->form(1)->field("num_heads")->editor());

  QTest::mouseClick(list->addButton(), Qt::LeftButton);
  ASSERT_EQ(list->rowCount(), 3);
  list->nameCombo(2)->setCurrentText("based");
  EXPECT_EQ(list->form(2)->mixerName(), "based");
  QTest::mouseClick(list->upButton(2), Qt::LeftButton);
  QTest::mouseClick(list->removeButton(0), Qt::LeftButton);
  EXPECT_EQ(form.kwargs()["configs"], json::parse(R"([{"name": "based", "kwargs": {}},
                                                      {"name": "attention", "kwargs": {"num_heads": 2}}])"));

  // setKwargs rebuilds the rows from a config.
  form.setKwargs(json::parse(R"({"configs": [{"name": "attention", "kwargs": {"dropout": 0.1}}]})"));
  ASSERT_EQ(list->rowCount(), 1);
  EXPECT_EQ(form.kwargs(),
            json::parse(R"({"configs": [{"name": "attention", "kwargs": {"dropout": 0.1}}]})"));
}

}  // namespace
}  // namespace zoolab
