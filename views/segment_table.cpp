#include "views/segment_table.h"

#include <climits>

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include "engine/config/run_config.h"
#include "views/scientific_spin_box.h"

namespace zoolab {

using nlohmann::json;

namespace {

// The engine's defaults (SegmentConfig), shown for keys a segment leaves out.
json defaultSegment() {
  return segment_to_json(SegmentConfig{});
}

}  // namespace

const QStringList& SegmentTable::fields() {
  static const QStringList kFields = {QStringLiteral("input_seq_len"),      QStringLiteral("num_kv_pairs"),
                                      QStringLiteral("num_examples"),       QStringLiteral("power_a"),
                                      QStringLiteral("random_non_queries"), QStringLiteral("num_passes")};
  return kFields;
}

SegmentTable::SegmentTable(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  m_table = new QTableWidget(0, fields().size(), this);
  m_table->setHorizontalHeaderLabels(fields());
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setSelectionMode(QAbstractItemView::SingleSelection);
  layout->addWidget(m_table);
  auto* buttons = new QHBoxLayout();
  m_add = new QPushButton(tr("Add segment"), this);
  m_remove = new QPushButton(tr("Remove segment"), this);
  buttons->addWidget(m_add);
  buttons->addWidget(m_remove);
  buttons->addStretch(1);
  layout->addLayout(buttons);
  connect(m_add, &QPushButton::clicked, this, [this] { addRow(); });
  connect(m_remove, &QPushButton::clicked, this, [this] { removeRow(-1); });
}

void SegmentTable::setSegments(const nlohmann::json& list) {
  m_segments = list.is_array() ? list : json::array();
  rebuild();
}

int SegmentTable::rowCount() const {
  return m_table->rowCount();
}

QWidget* SegmentTable::cellEditor(int row, const QString& field) const {
  const int column = fields().indexOf(field);
  if (row < 0 || row >= m_table->rowCount() || column < 0)
    return nullptr;
  QWidget* cell = m_table->cellWidget(row, column);
  // Check boxes sit centred inside a container widget.
  if (auto* box = cell ? cell->findChild<QCheckBox*>() : nullptr)
    return box;
  return cell;
}

void SegmentTable::addRow() {
  m_segments.push_back(m_segments.empty() ? defaultSegment() : m_segments.back());
  rebuild();
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

void SegmentTable::rebuild() {
  const json defaults = defaultSegment();
  m_table->setRowCount(0);
  m_table->setRowCount(static_cast<int>(m_segments.size()));
  for (int row = 0; row < m_table->rowCount(); ++row) {
    const json& segment = m_segments[row];
    for (int column = 0; column < fields().size(); ++column) {
      const QString field = fields()[column];
      const std::string key = field.toStdString();
      const json value = segment.is_object() && segment.contains(key) ? segment[key] : defaults[key];
      if (field == QLatin1String("random_non_queries")) {
        auto* container = new QWidget(m_table);
        auto* box = new QCheckBox(container);
        auto* centre = new QHBoxLayout(container);
        centre->setContentsMargins(0, 0, 0, 0);
        centre->addWidget(box, 0, Qt::AlignCenter);
        box->setChecked(value.is_boolean() ? value.get<bool>() : true);
        connect(box, &QCheckBox::toggled, this,
                [this, row, field](bool on) { onCellEdited(row, field, on); });
        m_table->setCellWidget(row, column, container);
      } else if (field == QLatin1String("power_a")) {
        auto* spin = new ScientificSpinBox(m_table);
        spin->setRange(0.0, 1e6);
        spin->setValue(value.is_number() ? value.get<double>() : defaults[key].get<double>());
        connect(spin, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
                [this, row, field](double v) { onCellEdited(row, field, v); });
        m_table->setCellWidget(row, column, spin);
      } else {
        auto* spin = new QSpinBox(m_table);
        spin->setRange(0, INT_MAX);  // 0 is out of range for the engine; it says so with the path
        spin->setValue(value.is_number_integer() ? value.get<int>() : defaults[key].get<int>());
        if (field == QLatin1String("num_examples"))
          spin->setSingleStep(1000);
        connect(spin, qOverload<int>(&QSpinBox::valueChanged), this,
                [this, row, field](int v) { onCellEdited(row, field, v); });
        m_table->setCellWidget(row, column, spin);
      }
    }
  }
  m_remove->setEnabled(m_segments.size() > 1);
}

void SegmentTable::onCellEdited(int row, const QString& field, const nlohmann::json& value) {
  if (row >= static_cast<int>(m_segments.size()) || !m_segments[row].is_object())
    return;
  m_segments[row][field.toStdString()] = value;
  Q_EMIT changed();
}

}  // namespace zoolab
