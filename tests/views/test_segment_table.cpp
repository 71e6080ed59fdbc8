// SegmentTable driven through its widgets: the task combo over the task registry, the per-row parameter
// forms built from the task's specs, switching tasks, and the JSON kept as loaded.

#include <gtest/gtest.h>

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>
#include <QToolButton>
#include <QWheelEvent>

#include "engine/data/task_registry.h"
#include "views/mixer_form.h"
#include "views/mixer_param_field.h"
#include "views/segment_table.h"

namespace zoolab {
namespace {

using nlohmann::json;

// The registered tasks plus a toy one, so that switching between two tasks can be tested before a second
// task is registered. "toy" shares num_kv_pairs with mqar (as forgetting_mqar does) but not its default.
json tasksWithToy() {
  json tasks = SegmentTable::registeredTasks();
  tasks.push_back(json::parse(R"({
    "name": "toy", "family": "mad", "summary": "A toy task of the table's tests",
    "params": [
      {"name": "num_kv_pairs", "type": "int", "default": 3, "min": 1, "doc": "pairs of the toy"},
      {"name": "mode", "type": "string", "default": "copy", "choices": ["copy", "reverse"],
       "doc": "what the toy does with its pairs"},
      {"name": "noise", "type": "float", "default": 0.0, "min": 0, "max": 1, "doc": "share of noise tokens"}
    ],
    "example": {"input_seq_len": 16, "num_examples": 10, "mode": "reverse"}
  })"));
  return tasks;
}

const json kLoaded = json::parse(R"([
  {"task": "mqar", "input_seq_len": 32, "num_kv_pairs": 2, "num_examples": 512, "random_non_queries": false},
  {"input_seq_len": 128, "num_examples": 64, "future_key": {"kept": true}}
])");

class SegmentTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_table.resize(900, 320);
    m_table.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&m_table));
    QObject::connect(&m_table, &SegmentTable::changed, [this] { ++m_changes; });
  }

  template <typename T>
  T* editor(int row, const char* field) {
    return qobject_cast<T*>(m_table.cellEditor(row, QString::fromLatin1(field)));
  }

  SegmentTable m_table;
  int m_changes = 0;
};

TEST_F(SegmentTableTest, TaskComboListsEveryRegisteredTask) {
  m_table.setSegments(kLoaded);
  ASSERT_EQ(m_table.rowCount(), 2);
  QStringList expected;
  for (const std::string& name : task_names())
    expected << QString::fromStdString(name);
  for (int row = 0; row < 2; ++row) {
    QComboBox* combo = m_table.taskCombo(row);
    ASSERT_NE(combo, nullptr);
    QStringList items;
    for (int i = 0; i < combo->count(); ++i)
      items << combo->itemText(i);
    EXPECT_EQ(items, expected);
    EXPECT_EQ(combo->currentText(), "mqar");  // the second row leaves task out: the engine's default
    EXPECT_TRUE(combo->itemData(0, Qt::ToolTipRole).toString().contains("associative recall"));
  }
  // The table's view of the registry is the registry's.
  const json& tasks = SegmentTable::registeredTasks();
  ASSERT_EQ(tasks.size(), task_registry().size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    EXPECT_EQ(tasks[i]["name"], task_registry()[i].name);
    EXPECT_EQ(tasks[i]["params"], param_specs_to_json(task_registry()[i].params));
    EXPECT_EQ(tasks[i]["example"], task_registry()[i].example);
  }

  m_table.setTasks(tasksWithToy());
  EXPECT_EQ(m_table.taskNames(), expected + QStringList{"toy"});
  EXPECT_EQ(m_table.taskCombo(0)->count(), expected.size() + 1);
  EXPECT_EQ(m_table.segments(), kLoaded);  // re-listing the tasks changes no segment
  EXPECT_EQ(m_changes, 0);
}

TEST_F(SegmentTableTest, ColumnsAreTheCommonFieldsAndTheFormHoldsTheTasksParameters) {
  m_table.setSegments(kLoaded);
  const QStringList columns = {"task", "input_seq_len", "num_examples"};
  EXPECT_EQ(SegmentTable::fields(), columns);
  EXPECT_EQ(m_table.table()->columnCount(), 4);  // and the parameter summary
  EXPECT_EQ(editor<QSpinBox>(0, "input_seq_len")->value(), 32);
  EXPECT_EQ(editor<QSpinBox>(1, "num_examples")->value(), 64);

  QStringList params;
  for (const auto& p : param_specs_to_json(find_task("mqar").params))
    params << QString::fromStdString(p["name"].get<std::string>());
  EXPECT_EQ(m_table.fieldsOf(0), columns + params);

  // One form per row, from the task's specs, showing the row's values (defaults for keys left out).
  auto* kv = editor<QSpinBox>(0, "num_kv_pairs");
  ASSERT_NE(kv, nullptr);
  EXPECT_EQ(kv->value(), 2);
  EXPECT_EQ(kv->minimum(), 1);
  EXPECT_EQ(editor<QSpinBox>(1, "num_kv_pairs")->value(), 8);
  EXPECT_FALSE(editor<QCheckBox>(0, "random_non_queries")->isChecked());
  EXPECT_TRUE(editor<QCheckBox>(1, "random_non_queries")->isChecked());
  // Tooltips are the specs' docs.
  EXPECT_TRUE(kv->toolTip().contains("key-value pairs in the context")) << kv->toolTip().toStdString();
  EXPECT_TRUE(m_table.paramForm(0)->field("power_a")->toolTip().contains("power-law exponent"));

  EXPECT_EQ(m_table.summaryText(0), "num_kv_pairs=2, power_a=0.01, random_non_queries=false, num_passes=1");
  EXPECT_EQ(
      m_table.summaryText(1),
      "num_kv_pairs=8, power_a=0.01, random_non_queries=true, num_passes=1, future_key={\"kept\":true}?");
  // A key the task does not have is listed under the form, and kept.
  EXPECT_TRUE(m_table.paramForm(1)->problems().join(" ").contains("future_key"));
}

TEST_F(SegmentTableTest, SelectingARowShowsItsForm) {
  m_table.setSegments(kLoaded);
  EXPECT_EQ(m_table.selectedRow(), 0);
  EXPECT_TRUE(m_table.paramForm(0)->isVisible());
  EXPECT_FALSE(m_table.paramForm(1)->isVisible());
  EXPECT_EQ(m_table.detailsTitle()->text(), "Segment 1: mqar parameters");
  EXPECT_EQ(m_table.taskSummary()->text().toStdString(), find_task("mqar").summary);

  // Clicking into a row's editor selects the row.
  auto* length = editor<QSpinBox>(1, "input_seq_len");
  QTest::mouseClick(length, Qt::LeftButton);
  EXPECT_EQ(m_table.selectedRow(), 1);
  EXPECT_TRUE(m_table.paramForm(1)->isVisible());
  EXPECT_EQ(m_table.detailsTitle()->text(), "Segment 2: mqar parameters");

  // The config editor marking another row's parameter brings that row's form into view.
  QWidget* kv = m_table.cellEditor(0, "num_kv_pairs");
  kv->setProperty("invalid", true);
  EXPECT_EQ(m_table.selectedRow(), 0);
  EXPECT_TRUE(kv->isVisible());
  m_table.selectRow(1);
  kv->setProperty("invalid", true);  // marked again by the next validation: the panel stays
  EXPECT_EQ(m_table.selectedRow(), 1);
  EXPECT_EQ(m_changes, 0);
}

TEST_F(SegmentTableTest, EditingATaskParameterWritesOnlyThatKey) {
  m_table.setSegments(kLoaded);
  auto* kv = editor<QSpinBox>(1, "num_kv_pairs");
  m_table.selectRow(1);
  kv->selectAll();
  QTest::keyClicks(kv, "6");
  QTest::mouseClick(editor<QCheckBox>(1, "random_non_queries"), Qt::LeftButton);
  editor<QDoubleSpinBox>(1, "power_a")->setValue(0.5);
  json expected = kLoaded;
  expected[1]["num_kv_pairs"] = 6;
  expected[1]["random_non_queries"] = false;
  expected[1]["power_a"] = 0.5;
  EXPECT_EQ(m_table.segments(), expected);  // future_key survives, num_passes is not written
  EXPECT_GE(m_changes, 3);
  EXPECT_EQ(
      m_table.summaryText(1),
      "num_kv_pairs=6, power_a=0.5, random_non_queries=false, num_passes=1, future_key={\"kept\":true}?");

  // Reset removes the key: the task's default applies.
  QTest::mouseClick(m_table.paramForm(1)->field("num_kv_pairs")->resetButton(), Qt::LeftButton);
  expected[1].erase("num_kv_pairs");
  EXPECT_EQ(m_table.segments(), expected);
  EXPECT_EQ(kv->value(), 8);
  EXPECT_TRUE(m_table.summaryText(1).startsWith("num_kv_pairs=8,"));

  // The common columns write their key alone too.
  editor<QSpinBox>(0, "num_examples")->setValue(2000);
  expected[0]["num_examples"] = 2000;
  EXPECT_EQ(m_table.segments(), expected);
}

TEST_F(SegmentTableTest, SwitchingTaskResetsParametersAndDropsTheOldKeys) {
  m_table.setTasks(tasksWithToy());
  m_table.setSegments(kLoaded);
  m_table.taskCombo(0)->setCurrentText("toy");
  // Length and size stay; mqar's keys are gone (num_kv_pairs too: the toy's own is left at its default),
  // the toy's example parameters come in.
  json expected = kLoaded;
  expected[0] =
      json::parse(R"({"task": "toy", "input_seq_len": 32, "num_examples": 512, "mode": "reverse"})");
  EXPECT_EQ(m_table.segments(), expected);
  EXPECT_EQ(m_changes, 1);
  EXPECT_EQ(m_table.selectedRow(), 0);
  EXPECT_EQ(m_table.detailsTitle()->text(), "Segment 1: toy parameters");
  EXPECT_EQ(m_table.taskSummary()->text(), "A toy task of the table's tests");
  EXPECT_EQ(m_table.fieldsOf(0),
            (QStringList{"task", "input_seq_len", "num_examples", "num_kv_pairs", "mode", "noise"}));
  EXPECT_EQ(editor<QSpinBox>(0, "num_kv_pairs")->value(), 3);
  EXPECT_EQ(editor<QComboBox>(0, "mode")->currentText(), "reverse");
  EXPECT_EQ(m_table.cellEditor(0, "random_non_queries"), nullptr);
  EXPECT_TRUE(m_table.paramForm(0)->problems().isEmpty());
  EXPECT_EQ(m_table.summaryText(0), "num_kv_pairs=3, mode=reverse, noise=0.0");
  EXPECT_EQ(editor<QSpinBox>(0, "input_seq_len")->value(), 32);

  // The new form edits the new task's keys.
  editor<QComboBox>(0, "mode")->setCurrentText("copy");
  editor<QDoubleSpinBox>(0, "noise")->setValue(0.25);
  expected[0]["mode"] = "copy";
  expected[0]["noise"] = 0.25;
  EXPECT_EQ(m_table.segments(), expected);

  // Back and forth: an unshown key of the old task (future_key) is dropped, the length and size stay.
  m_table.taskCombo(1)->setCurrentText("toy");
  m_table.taskCombo(1)->setCurrentText("mqar");
  expected[1] =
      json::parse(R"({"task": "mqar", "input_seq_len": 128, "num_examples": 64, "num_kv_pairs": 4})");
  EXPECT_EQ(m_table.segments(), expected);
  EXPECT_EQ(editor<QSpinBox>(1, "num_kv_pairs")->value(), 4);  // mqar's example
  EXPECT_EQ(m_changes, 5);
}

TEST_F(SegmentTableTest, WheelOverAnUnfocusedTaskComboDoesNotSwitchTheTask) {
  m_table.setTasks(tasksWithToy());
  m_table.setSegments(kLoaded);
  QComboBox* combo = m_table.taskCombo(0);
  const auto turn = [&] {
    QWheelEvent wheel(QPointF(5, 5), combo->mapToGlobal(QPointF(5, 5)), QPoint(), QPoint(0, -120),
                      Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(combo, &wheel);
  };
  m_table.addButton()->setFocus();
  turn();
  EXPECT_EQ(combo->currentText(), "mqar");
  EXPECT_EQ(m_table.segments(), kLoaded);
  // Focused, the combo takes the wheel as usual: the next task.
  const QString next = combo->itemText(combo->currentIndex() + 1);
  combo->setFocus();
  turn();
  EXPECT_EQ(combo->currentText(), next);
  EXPECT_EQ(m_table.segments()[0]["task"], next.toStdString());
}

TEST_F(SegmentTableTest, UnregisteredTaskIsShownAndKept) {
  const json list = json::parse(R"([{"task": "not_yet_merged", "input_seq_len": 48, "gap": 3}])");
  m_table.setSegments(list);
  QComboBox* combo = m_table.taskCombo(0);
  EXPECT_EQ(combo->currentText(), "not_yet_merged");
  EXPECT_EQ(combo->count(), static_cast<int>(task_names().size()) + 1);
  EXPECT_EQ(m_table.fieldsOf(0), SegmentTable::fields());
  EXPECT_EQ(m_table.summaryText(0), "gap=3?");
  EXPECT_TRUE(m_table.taskSummary()->text().startsWith(
      "\"not_yet_merged\" is not a registered task; registered: mqar"));
  EXPECT_TRUE(m_table.paramForm(0)->problems().join(" ").contains("gap"));
  editor<QSpinBox>(0, "num_examples")->setValue(10);
  json expected = list;
  expected[0]["num_examples"] = 10;
  EXPECT_EQ(m_table.segments(), expected);
  // Choosing a registered task replaces the unknown one's keys.
  combo->setCurrentText("mqar");
  EXPECT_EQ(m_table.segments()[0],
            json::parse(R"({"task": "mqar", "input_seq_len": 48, "num_examples": 10, "num_kv_pairs": 4})"));
}

TEST_F(SegmentTableTest, AddAndRemoveRowsKeepTheirForms) {
  m_table.setTasks(tasksWithToy());
  m_table.setSegments(kLoaded);
  m_table.taskCombo(0)->setCurrentText("toy");
  m_table.selectRow(0);
  QTest::mouseClick(m_table.addButton(), Qt::LeftButton);
  ASSERT_EQ(m_table.rowCount(), 3);
  EXPECT_EQ(m_table.segments()[2], m_table.segments()[1]);  // a copy of the last
  EXPECT_EQ(m_table.selectedRow(), 2);
  EXPECT_TRUE(m_table.paramForm(2)->isVisible());
  EXPECT_EQ(m_table.taskCombo(0)->currentText(), "toy");
  EXPECT_NE(m_table.paramForm(0)->field("mode"), nullptr);

  m_table.selectRow(0);
  QTest::mouseClick(m_table.removeButton(), Qt::LeftButton);
  ASSERT_EQ(m_table.rowCount(), 2);
  EXPECT_EQ(m_table.taskCombo(0)->currentText(), "mqar");
  EXPECT_EQ(m_table.paramForm(0)->field("mode"), nullptr);
  // Edits after a rebuild land on the right row.
  editor<QSpinBox>(1, "num_kv_pairs")->setValue(5);
  EXPECT_EQ(m_table.segments()[1]["num_kv_pairs"], 5);
  EXPECT_EQ(m_table.segments()[0], kLoaded[1]);
}

}  // namespace
}  // namespace zoolab
