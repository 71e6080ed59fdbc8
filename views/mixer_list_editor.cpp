#include "views/mixer_list_editor.h"

#include <QComboBox>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>

#include "views/mixer_form.h"
#include "views/mixer_param_field.h"

namespace zoolab {

using nlohmann::json;

MixerListEditor::MixerListEditor(nlohmann::json registry, QWidget* parent)
    : QWidget(parent), m_registry(std::move(registry)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  m_rowsLayout = new QVBoxLayout();
  layout->addLayout(m_rowsLayout);
  m_add = new QPushButton(tr("Add layer mixer"), this);
  m_add->setToolTip(tr("Layer i runs entry i % n of this list"));
  connect(m_add, &QPushButton::clicked, this, [this] { addRow(); });
  layout->addWidget(m_add, 0, Qt::AlignLeft);
}

nlohmann::json MixerListEditor::value() const {
  json list = json::array();
  for (const auto& row : m_rows)
    list.push_back({{"name", row.form->mixerName().toStdString()}, {"kwargs", row.form->kwargs()}});
  return list;
}

bool MixerListEditor::setValue(const nlohmann::json& list) {
  if (!list.is_array())
    return false;
  for (const auto& entry : list) {
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string())
      return false;
    if (entry.contains("kwargs") && !entry["kwargs"].is_object())
      return false;
    for (auto it = entry.begin(); it != entry.end(); ++it) {
      if (it.key() != "name" && it.key() != "kwargs")
        return false;
    }
  }
  rebuild(list);
  return true;
}

void MixerListEditor::addRow(const QString& mixer) {
  std::string name = mixer.toStdString();
  if (name.empty()) {
    for (const auto& spec : m_registry) {
      if (spec.value("kind", std::string()) == "sequence" && spec.value("name", std::string()) != "hybrid") {
        name = spec.value("name", std::string());
        break;
      }
    }
  }
  appendRow(name, json::object());
  updateButtons();
  Q_EMIT changed();
}

void MixerListEditor::removeRow(int row) {
  if (row < 0 || row >= rowCount())
    return;
  json list = value();
  list.erase(list.begin() + row);
  rebuild(list);
  Q_EMIT changed();
}

void MixerListEditor::moveRow(int from, int to) {
  if (from < 0 || from >= rowCount() || to < 0 || to >= rowCount() || from == to)
    return;
  json list = value();
  const json entry = list[from];
  list.erase(list.begin() + from);
  list.insert(list.begin() + to, entry);
  rebuild(list);
  Q_EMIT changed();
}

void MixerListEditor::rebuild(const nlohmann::json& list) {
  // Deferred: rebuild() runs inside the clicked() of a row's own button.
  for (auto& row : m_rows) {
    row.frame->hide();
    m_rowsLayout->removeWidget(row.frame);
    row.frame->deleteLater();
  }
  m_rows.clear();
  for (const auto& entry : list)
    appendRow(entry.value("name", std::string()), entry.value("kwargs", json::object()));
  updateButtons();
}

void MixerListEditor::appendRow(const std::string& name, const nlohmann::json& kwargs) {
  Row row;
  auto* frame = new QFrame(this);
  frame->setFrameShape(QFrame::StyledPanel);
  row.frame = frame;
  auto* layout = new QVBoxLayout(frame);
  auto* header = new QHBoxLayout();
  row.combo = new QComboBox(frame);
  for (const auto& spec : m_registry) {
    const std::string n = spec.value("name", std::string());
    // A hybrid inside a hybrid would nest without end; Zoology's configs use plain mixers.
    if (spec.value("kind", std::string()) == "sequence" && n != "hybrid")
      row.combo->addItem(QString::fromStdString(n));
  }
  const QString qname = QString::fromStdString(name);
  if (row.combo->findText(qname) < 0)
    row.combo->addItem(qname);
  row.combo->setCurrentIndex(row.combo->findText(qname));
  header->addWidget(new QLabel(tr("Mixer"), frame));
  header->addWidget(row.combo, 1);
  row.up = new QToolButton(frame);
  row.up->setText(QStringLiteral("\u2191"));
  row.up->setToolTip(tr("Move up"));
  row.down = new QToolButton(frame);
  row.down->setText(QStringLiteral("\u2193"));
  row.down->setToolTip(tr("Move down"));
  row.remove = new QToolButton(frame);
  row.remove->setText(QStringLiteral("\u2715"));
  row.remove->setToolTip(tr("Remove this entry"));
  header->addWidget(row.up);
  header->addWidget(row.down);
  header->addWidget(row.remove);
  layout->addLayout(header);

  const json* spec = findMixerSpec(m_registry, name);
  row.form = new MixerForm(spec ? *spec : json{{"name", name}, {"params", json::array()}}, m_registry, frame);
  row.form->setKwargs(kwargs);
  layout->addWidget(row.form);
  connect(row.form, &MixerForm::kwargsChanged, this, &MixerListEditor::changed);

  connect(row.combo, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this, frame] { onRowMixerChanged(frame); });
  connect(row.up, &QToolButton::clicked, this, [this, frame] { moveRow(rowOf(frame), rowOf(frame) - 1); });
  connect(row.down, &QToolButton::clicked, this, [this, frame] { moveRow(rowOf(frame), rowOf(frame) + 1); });
  connect(row.remove, &QToolButton::clicked, this, [this, frame] { removeRow(rowOf(frame)); });

  m_rowsLayout->addWidget(frame);
  m_rows.push_back(row);
}

void MixerListEditor::onRowMixerChanged(QWidget* frame) {
  const int index = rowOf(frame);
  if (index < 0)
    return;
  Row& row = m_rows[index];
  const std::string name = row.combo->currentText().toStdString();
  const json* spec = findMixerSpec(m_registry, name);
  auto* form =
      new MixerForm(spec ? *spec : json{{"name", name}, {"params", json::array()}}, m_registry, frame);
  frame->layout()->replaceWidget(row.form, form);
  delete row.form;
  row.form = form;
  connect(row.form, &MixerForm::kwargsChanged, this, &MixerListEditor::changed);
  Q_EMIT changed();
}

int MixerListEditor::rowOf(QWidget* frame) const {
  for (size_t i = 0; i < m_rows.size(); ++i) {
    if (m_rows[i].frame == frame)
      return static_cast<int>(i);
  }
  return -1;
}

void MixerListEditor::updateButtons() {
  for (size_t i = 0; i < m_rows.size(); ++i) {
    m_rows[i].up->setEnabled(i > 0);
    m_rows[i].down->setEnabled(i + 1 < m_rows.size());
    m_rows[i].remove->setEnabled(m_rows.size() > 1);
  }
}

}  // namespace zoolab
