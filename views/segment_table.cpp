#include "views/segment_table.h"

#include <algorithm>
#include <climits>
#include <set>

#include <QComboBox>
#include <QDynamicPropertyChangeEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include "engine/config/run_config.h"
#include "engine/data/task_registry.h"
#include "views/mixer_form.h"
#include "views/mixer_param_field.h"

namespace zoolab {

using nlohmann::json;

namespace {

// The property that tells the event filter which row an editor belongs to.
constexpr const char* kSegmentRowProperty = "zoolabSegmentRow";

// The engine's defaults (SegmentConfig), shown for keys a segment leaves out.
const json& segmentDefaults() {
  static const json kDefaults = segment_to_json(SegmentConfig{});
  return kDefaults;
}

// The keys every segment has, whatever its task.
bool isCommonKey(const std::string& key) {
  return key == "task" || key == "input_seq_len" || key == "num_examples";
}

QString segmentValueText(const json& value) {
  return value.is_string() ? QString::fromStdString(value.get<std::string>())
                           : QString::fromStdString(value.dump());
}

// The segment's task parameters: every key but the common ones.
json segmentParams(const json& segment) {
  json out = json::object();
  if (!segment.is_object())
    return out;
  for (auto it = segment.begin(); it != segment.end(); ++it) {
    if (!isCommonKey(it.key()))
      out[it.key()] = it.value();
  }
  return out;
}

}  // namespace

const QStringList& SegmentTable::fields() {
  static const QStringList kFields = {QStringLiteral("task"), QStringLiteral("input_seq_len"),
                                      QStringLiteral("num_examples")};
  return kFields;
}

const nlohmann::json& SegmentTable::registeredTasks() {
  static const json kTasks = [] {
    json out = json::array();
    for (const TaskSpec& spec : task_registry()) {
      out.push_back({{"name", spec.name},
                     {"family", spec.family},
                     {"summary", spec.summary},
                     {"params", param_specs_to_json(spec.params)},
                     {"example", spec.example}});
    }
    return out;
  }();
  return kTasks;
}

SegmentTable::SegmentTable(QWidget* parent) : QWidget(parent), m_tasks(registeredTasks()) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  // A box layout rather than a splitter: it passes the wrapped summary's height for its width on, so the
  // form below it is never squeezed.
  auto* columns = new QHBoxLayout();

  const int summaryColumn = fields().size();
  m_table = new QTableWidget(0, summaryColumn + 1, this);
  m_table->setHorizontalHeaderLabels(QStringList(fields()) << tr("parameters"));
  m_table->horizontalHeaderItem(0)->setToolTip(tr("The registered task that generates the segment"));
  m_table->horizontalHeaderItem(summaryColumn)
      ->setToolTip(tr("The task's parameters (defaults filled in); edit them beside the table"));
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_table->horizontalHeader()->setSectionResizeMode(summaryColumn, QHeaderView::Stretch);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setSelectionMode(QAbstractItemView::SingleSelection);
  // The summary stays on one line (its tooltip lists every value); the panel shows them all.
  m_table->setWordWrap(false);
  m_table->setTextElideMode(Qt::ElideRight);
  connect(m_table, &QTableWidget::currentCellChanged, this, [this](int row) {
    if (row >= 0 && row < m_details->count())
      m_details->setCurrentIndex(row);
    updateDetailsTitle();
  });

  auto* panel = new QWidget(this);
  auto* panelLayout = new QVBoxLayout(panel);
  panelLayout->setContentsMargins(6, 0, 0, 0);
  m_detailsTitle = new QLabel(panel);
  QFont bold = m_detailsTitle->font();
  bold.setBold(true);
  m_detailsTitle->setFont(bold);
  panelLayout->addWidget(m_detailsTitle);
  // The task's summary sits here rather than in the form: a stacked page does not grow with wrapped text.
  m_taskSummary = new QLabel(panel);
  m_taskSummary->setWordWrap(true);
  m_taskSummary->setEnabled(false);  // the palette's muted text, as the mixer forms' summaries
  panelLayout->addWidget(m_taskSummary);
  // No scroll area of its own: the page scrolls, and a form that fits needs no second scroll bar.
  m_details = new QStackedWidget(panel);
  panelLayout->addWidget(m_details);
  panelLayout->addStretch(1);

  columns->addWidget(m_table, 3);
  columns->addWidget(panel, 2);
  layout->addLayout(columns);

  auto* buttons = new QHBoxLayout();
  m_add = new QPushButton(tr("Add segment"), this);
  m_remove = new QPushButton(tr("Remove segment"), this);
  buttons->addWidget(m_add);
  buttons->addWidget(m_remove);
  buttons->addStretch(1);
  layout->addLayout(buttons);
  connect(m_add, &QPushButton::clicked, this, [this] { addRow(); });
  connect(m_remove, &QPushButton::clicked, this, [this] { removeRow(-1); });
  updateDetailsTitle();
}

void SegmentTable::setTasks(const nlohmann::json& tasks) {
  m_tasks = tasks.is_array() ? tasks : json::array();
  rebuild();
}

QStringList SegmentTable::taskNames() const {
  QStringList names;
  for (const auto& spec : m_tasks)
    names << QString::fromStdString(spec.value("name", std::string()));
  return names;
}

void SegmentTable::setSegments(const nlohmann::json& list) {
  m_segments = list.is_array() ? list : json::array();
  rebuild();
}

int SegmentTable::rowCount() const {
  return m_table->rowCount();
}

QStringList SegmentTable::fieldsOf(int row) const {
  QStringList out = fields();
  if (const json* spec = row >= 0 && row < rowCount() ? taskSpec(taskOf(row)) : nullptr) {
    for (const auto& param : spec->value("params", json::array()))
      out << QString::fromStdString(param.value("name", std::string()));
  }
  return out;
}

QWidget* SegmentTable::cellEditor(int row, const QString& field) const {
  if (row < 0 || row >= m_table->rowCount())
    return nullptr;
  const int column = fields().indexOf(field);
  if (column >= 0)
    return m_table->cellWidget(row, column);
  MixerParamField* param = paramForm(row) ? paramForm(row)->field(field) : nullptr;
  return param ? param->editor() : nullptr;
}

QComboBox* SegmentTable::taskCombo(int row) const {
  return qobject_cast<QComboBox*>(cellEditor(row, QStringLiteral("task")));
}

MixerForm* SegmentTable::paramForm(int row) const {
  return row >= 0 && row < static_cast<int>(m_forms.size()) ? m_forms[row] : nullptr;
}

QString SegmentTable::summaryText(int row) const {
  const QTableWidgetItem* item = m_table->item(row, fields().size());
  return item ? item->text() : QString();
}

int SegmentTable::selectedRow() const {
  return m_table->currentRow();
}

void SegmentTable::selectRow(int row) {
  if (row >= 0 && row < rowCount())
    m_table->setCurrentCell(row, std::max(0, m_table->currentColumn()));
}

void SegmentTable::addRow() {
  m_segments.push_back(m_segments.empty() ? segmentDefaults() : m_segments.back());
  rebuild();
  selectRow(rowCount() - 1);
  Q_EMIT changed();
}

void SegmentTable::removeRow(int row) {
  if (m_segments.empty())
    return;
  if (row < 0)
    row = m_table->currentRow() >= 0 ? m_table->currentRow() : static_cast<int>(m_segments.size()) - 1;
  if (row >= static_cast<int>(m_segments.size()))
    return;
  m_segments.erase(m_segments.begin() + row);
  rebuild();
  Q_EMIT changed();
}

const nlohmann::json* SegmentTable::taskSpec(const std::string& name) const {
  for (const auto& spec : m_tasks) {
    if (spec.value("name", std::string()) == name)
      return &spec;
  }
  return nullptr;
}

std::string SegmentTable::taskOf(int row) const {
  const json& segment = m_segments[row];
  if (segment.is_object() && segment.contains("task") && segment["task"].is_string())
    return segment["task"].get<std::string>();
  return segmentDefaults()["task"].get<std::string>();  // the engine's default task
}

void SegmentTable::rebuild() {
  m_loading = true;
  const int keep = m_table->currentRow();
  m_shownInvalid = nullptr;
  for (MixerForm* form : m_forms) {
    m_details->removeWidget(form);
    form->deleteLater();  // rebuild() may run from a slot of one of its fields
  }
  m_forms.clear();
  const json& defaults = segmentDefaults();
  m_table->setRowCount(0);
  m_table->setRowCount(static_cast<int>(m_segments.size()));
  for (int row = 0; row < m_table->rowCount(); ++row) {
    const json& segment = m_segments[row];
    auto* combo = new QComboBox(m_table);
    for (const auto& spec : m_tasks) {
      combo->addItem(QString::fromStdString(spec.value("name", std::string())));
      combo->setItemData(
          combo->count() - 1,
          QStringLiteral("[%1] %2").arg(QString::fromStdString(spec.value("family", std::string())),
                                        QString::fromStdString(spec.value("summary", std::string()))),
          Qt::ToolTipRole);
    }
    const QString task = QString::fromStdString(taskOf(row));
    if (combo->findText(task) < 0) {
      // Not registered: shown and kept; the engine's validator names it and lists the registered tasks.
      combo->addItem(task);
      combo->setItemData(combo->count() - 1, tr("Not a registered task"), Qt::ToolTipRole);
    }
    combo->setCurrentIndex(combo->findText(task));
    combo->setFocusPolicy(Qt::StrongFocus);  // a wheel does not focus it (see eventFilter)
    connect(combo, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this, row, combo](int index) { onTaskChosen(row, combo->itemText(index)); });
    m_table->setCellWidget(row, 0, combo);
    watchEditor(combo, row);

    for (int column = 1; column < fields().size(); ++column) {
      const QString field = fields()[column];
      const std::string key = field.toStdString();
      const json value = segment.is_object() && segment.contains(key) ? segment[key] : defaults[key];
      auto* spin = new QSpinBox(m_table);
      spin->setRange(0, INT_MAX);  // 0 is out of range for the engine; it says so with the path
      spin->setValue(value.is_number_integer() ? value.get<int>() : defaults[key].get<int>());
      if (field == QLatin1String("num_examples"))
        spin->setSingleStep(1000);
      connect(spin, qOverload<int>(&QSpinBox::valueChanged), this,
              [this, row, field](int v) { onCellEdited(row, field, v); });
      m_table->setCellWidget(row, column, spin);
      watchEditor(spin, row);
    }

    auto* summary = new QTableWidgetItem();
    summary->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
    m_table->setItem(row, fields().size(), summary);
    m_forms.push_back(nullptr);
    buildForm(row);
    updateSummary(row);
  }
  m_remove->setEnabled(m_segments.size() > 1);
  m_loading = false;
  if (rowCount() > 0)
    selectRow(std::clamp(keep, 0, rowCount() - 1));
  updateDetailsTitle();
}

void SegmentTable::buildForm(int row) {
  const std::string task = taskOf(row);
  const json* spec = taskSpec(task);
  json formSpec = spec ? *spec : json{{"name", task}, {"params", json::array()}};
  formSpec.erase("summary");  // shown above the form (updateDetailsTitle)
  auto* form = new MixerForm(formSpec);
  // Loading shows each value; keys the task does not have, and values a field cannot show, are listed under
  // the form and kept as given (the segment's JSON is not touched).
  form->setKwargs(segmentParams(m_segments[row]));
  for (const auto& param : form->spec().value("params", json::array())) {
    const QString name = QString::fromStdString(param.value("name", std::string()));
    MixerParamField* field = form->field(name);
    if (!field)
      continue;
    // A reset removes the key (the task's default then applies) instead of writing the default.
    disconnect(field->resetButton(), &QToolButton::clicked, field, nullptr);
    field->resetButton()->setToolTip(tr("Reset to the default (%1): the key is left out of the segment")
                                         .arg(segmentValueText(param.value("default", json()))));
    connect(field->resetButton(), &QToolButton::clicked, this,
            [this, row, name] { onParamReset(row, name); });
    connect(field, &MixerParamField::changed, this, [this, row, name] { onParamEdited(row, name); });
    watchEditor(field->editor(), row);
  }

  MixerForm* old = m_forms[row];
  m_details->insertWidget(row, form);
  m_forms[row] = form;
  if (old) {
    m_details->removeWidget(old);
    old->deleteLater();  // this may run from a signal of the old form's own row
  }
  if (m_table->currentRow() >= 0 && m_table->currentRow() < m_details->count())
    m_details->setCurrentIndex(m_table->currentRow());
}

void SegmentTable::watchEditor(QWidget* editor, int row) {
  editor->setProperty(kSegmentRowProperty, row);
  editor->installEventFilter(this);
  // A spin box's text field takes the focus; a click there selects the row too.
  for (QWidget* child : editor->findChildren<QWidget*>()) {
    child->setProperty(kSegmentRowProperty, row);
    child->installEventFilter(this);
  }
}

bool SegmentTable::eventFilter(QObject* watched, QEvent* event) {
  const QEvent::Type type = event->type();
  if (m_loading ||
      (type != QEvent::FocusIn && type != QEvent::Wheel && type != QEvent::DynamicPropertyChange))
    return QWidget::eventFilter(watched, event);
  const QVariant rowProperty = watched->property(kSegmentRowProperty);
  if (!rowProperty.isValid())
    return QWidget::eventFilter(watched, event);
  const int row = rowProperty.toInt();
  if (type == QEvent::Wheel) {
    // Choosing a task replaces the row's parameters: a wheel turned to scroll the page over an unfocused
    // task combo scrolls the page instead.
    auto* combo = qobject_cast<QComboBox*>(watched);
    if (combo && !combo->hasFocus()) {
      event->ignore();  // passed on to the parents
      return true;
    }
  } else if (type == QEvent::FocusIn) {
    if (row != m_table->currentRow())
      selectRow(row);
  } else if (type == QEvent::DynamicPropertyChange &&
             static_cast<QDynamicPropertyChangeEvent*>(event)->propertyName() == "invalid") {
    // The config editor marks the editor its validator's message names: show that row's form, once per
    // marking (so the panel does not jump back there while the user edits another row).
    auto* widget = static_cast<QWidget*>(watched);
    if (widget->property("invalid").toBool()) {
      if (widget != m_shownInvalid) {
        m_shownInvalid = widget;
        selectRow(row);
      }
    } else if (widget == m_shownInvalid) {
      m_shownInvalid = nullptr;
    }
  }
  return QWidget::eventFilter(watched, event);
}

void SegmentTable::updateSummary(int row) {
  QTableWidgetItem* item = m_table->item(row, fields().size());
  if (!item)
    return;
  const json params = segmentParams(m_segments[row]);
  QStringList parts;
  QStringList tips;
  const json* spec = taskSpec(taskOf(row));
  const json specParams = spec ? spec->value("params", json::array()) : json::array();
  std::set<std::string> known;
  for (const auto& param : specParams) {
    const std::string name = param.value("name", std::string());
    known.insert(name);
    const bool set = params.contains(name);
    const QString value = segmentValueText(set ? params[name] : param.value("default", json()));
    parts << QStringLiteral("%1=%2").arg(QString::fromStdString(name), value);
    tips << QStringLiteral("%1 = %2%3")
                .arg(QString::fromStdString(name), value, set ? QString() : tr(" (default)"));
  }
  for (auto it = params.begin(); it != params.end(); ++it) {
    if (known.count(it.key()) > 0)
      continue;
    const QString text =
        QStringLiteral("%1=%2").arg(QString::fromStdString(it.key()), segmentValueText(it.value()));
    parts << text + QLatin1Char('?');
    tips << text + tr(" (not a parameter of this task, kept as given)");
  }
  item->setText(parts.isEmpty() ? tr("no parameters") : parts.join(QStringLiteral(", ")));
  item->setToolTip(tips.join(QLatin1Char('\n')));
}

void SegmentTable::updateDetailsTitle() {
  const int row = m_table->currentRow();
  if (row < 0 || row >= rowCount()) {
    m_detailsTitle->setText(tr("No segment selected"));
    m_taskSummary->clear();
    return;
  }
  const QString task = QString::fromStdString(taskOf(row));
  m_detailsTitle->setText(tr("Segment %1: %2 parameters").arg(row + 1).arg(task));
  const json* spec = taskSpec(task.toStdString());
  m_taskSummary->setText(spec ? QString::fromStdString(spec->value("summary", std::string()))
                              : tr("\"%1\" is not a registered task; registered: %2")
                                    .arg(task, taskNames().join(QStringLiteral(", "))));
}

void SegmentTable::onCellEdited(int row, const QString& field, const nlohmann::json& value) {
  if (m_loading || row >= static_cast<int>(m_segments.size()) || !m_segments[row].is_object())
    return;
  m_segments[row][field.toStdString()] = value;
  Q_EMIT changed();
}

void SegmentTable::onTaskChosen(int row, const QString& name) {
  if (m_loading || row >= static_cast<int>(m_segments.size()))
    return;
  // The old task's parameters mean nothing to the new one (and the parser refuses unknown keys): the row
  // keeps its length and size and takes the new task's example parameters.
  const json& old = m_segments[row];
  json next = json::object();
  for (const char* key : {"input_seq_len", "num_examples"}) {
    if (old.is_object() && old.contains(key))
      next[key] = old[key];
  }
  next["task"] = name.toStdString();
  if (const json* spec = taskSpec(name.toStdString())) {
    const json example = spec->value("example", json::object());
    for (auto it = example.begin(); it != example.end(); ++it) {
      if (!isCommonKey(it.key()))
        next[it.key()] = it.value();
    }
  }
  m_segments[row] = std::move(next);
  m_loading = true;
  buildForm(row);
  m_loading = false;
  updateSummary(row);
  selectRow(row);
  updateDetailsTitle();
  Q_EMIT changed();
}

void SegmentTable::onParamEdited(int row, const QString& name) {
  if (m_loading || row >= static_cast<int>(m_segments.size()) || !m_segments[row].is_object())
    return;
  MixerParamField* field = m_forms[row]->field(name);
  m_segments[row][name.toStdString()] = field->value();
  updateSummary(row);
  Q_EMIT changed();
}

void SegmentTable::onParamReset(int row, const QString& name) {
  if (row >= static_cast<int>(m_segments.size()))
    return;
  m_loading = true;
  m_forms[row]->field(name)->resetToDefault();
  m_loading = false;
  if (!m_segments[row].is_object() || m_segments[row].erase(name.toStdString()) == 0)
    return;
  updateSummary(row);
  Q_EMIT changed();
}

}  // namespace zoolab
