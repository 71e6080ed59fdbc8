#include "views/sweep_dialog.h"

#include <map>
#include <stdexcept>

#include <QComboBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace zoolab {

using nlohmann::json;

namespace {

constexpr int kPreviewDelayMs = 150;
const QColor kInvalidBackground(250, 219, 216);

}  // namespace

SweepDialog::SweepDialog(nlohmann::json base, QStringList paths, Validator validator, QWidget* parent)
    : QDialog(parent), m_base(std::move(base)), m_paths(std::move(paths)), m_validator(std::move(validator)) {
  setWindowTitle(tr("Sweep"));
  auto* layout = new QVBoxLayout(this);
  auto* hint =
      new QLabel(tr("Each row varies one field over a list of JSON values (e.g. 64, 128 or 1e-3, 1e-2). "
                    "Rows with the same zip group vary together instead of multiplying."),
                 this);
  hint->setWordWrap(true);
  layout->addWidget(hint);

  // A named sweep shows its progress in the Dashboards tab and can be re-enqueued or merged by name;
  // the time stamp keeps two sweeps of one base apart.
  const std::string baseName = m_base.value("name", std::string("sweep"));
  m_name = new QLineEdit(QString::fromStdString(baseName) + QStringLiteral("-sweep-") +
                             QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")),
                         this);
  m_name->setObjectName(QStringLiteral("sweepNameEdit"));
  connect(m_name, &QLineEdit::textChanged, this, [this] { m_timer->start(); });
  auto* nameRow = new QHBoxLayout;
  nameRow->addWidget(new QLabel(tr("Sweep name"), this));
  nameRow->addWidget(m_name, 1);
  // Repetitions over run seeds: the dashboards plot each group of repetitions as a mean with error bars.
  m_seeds = new QSpinBox(this);
  m_seeds->setObjectName(QStringLiteral("sweepSeedsSpin"));
  m_seeds->setRange(1, static_cast<int>(kMaxSweepSeeds));
  m_seeds->setValue(1);
  m_seeds->setToolTip(
      tr("Repeat every run over this many seeds (seed, seed + 1, ...): the model's initialisation and batch "
         "order change, the dataset (data.seed) stays the same"));
  connect(m_seeds, qOverload<int>(&QSpinBox::valueChanged), this, [this] { m_timer->start(); });
  nameRow->addWidget(new QLabel(tr("Seeds"), this));
  nameRow->addWidget(m_seeds);
  layout->addLayout(nameRow);

  m_rowsTable = new QTableWidget(0, 4, this);
  m_rowsTable->setHorizontalHeaderLabels({tr("Field"), tr("Values"), tr("Zip group"), QString()});
  m_rowsTable->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
  m_rowsTable->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
  m_rowsTable->verticalHeader()->hide();
  layout->addWidget(m_rowsTable);
  m_add = new QPushButton(tr("Add field"), this);
  connect(m_add, &QPushButton::clicked, this, [this] { addRow(); });
  layout->addWidget(m_add, 0, Qt::AlignLeft);

  m_error = new QLabel(this);
  m_error->setWordWrap(true);
  m_error->setStyleSheet(QStringLiteral("color: #c0392b;"));
  m_error->hide();
  layout->addWidget(m_error);

  m_preview = new QTableWidget(this);
  m_preview->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_preview->verticalHeader()->hide();
  layout->addWidget(m_preview, 1);

  auto* box = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  m_ok = box->button(QDialogButtonBox::Ok);
  m_ok->setText(tr("Launch runs"));
  connect(box, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(box, &QDialogButtonBox::rejected, this, &QDialog::reject);
  layout->addWidget(box);

  m_timer = new QTimer(this);
  m_timer->setSingleShot(true);
  m_timer->setInterval(kPreviewDelayMs);
  connect(m_timer, &QTimer::timeout, this, &SweepDialog::updatePreview);
  resize(720, 520);
  updatePreview();
}

void SweepDialog::addRow(const QString& path, const QString& values, int zipGroup) {
  Row row;
  row.path = new QComboBox(m_rowsTable);
  row.path->setEditable(true);
  row.path->addItems(m_paths);
  row.path->setCurrentText(path);
  row.path->setToolTip(
      tr("A dotted path of the configuration, e.g. model.d_model or data.train.0.input_seq_len"));
  row.values = new QLineEdit(values, m_rowsTable);
  row.values->setPlaceholderText(tr("64, 128"));
  row.zip = new QSpinBox(m_rowsTable);
  row.zip->setRange(0, 99);
  row.zip->setSpecialValueText(tr("none"));
  row.zip->setValue(zipGroup);
  row.remove = new QPushButton(tr("Remove"), m_rowsTable);
  const int index = m_rowsTable->rowCount();
  m_rowsTable->insertRow(index);
  m_rowsTable->setCellWidget(index, 0, row.path);
  m_rowsTable->setCellWidget(index, 1, row.values);
  m_rowsTable->setCellWidget(index, 2, row.zip);
  m_rowsTable->setCellWidget(index, 3, row.remove);
  m_rows.push_back(row);
  QTimer* timer = m_timer;
  connect(row.path, &QComboBox::currentTextChanged, timer, qOverload<>(&QTimer::start));
  connect(row.values, &QLineEdit::textChanged, timer, qOverload<>(&QTimer::start));
  connect(row.zip, qOverload<int>(&QSpinBox::valueChanged), timer, qOverload<>(&QTimer::start));
  QPushButton* button = row.remove;
  connect(button, &QPushButton::clicked, this, [this, button] {
    for (size_t i = 0; i < m_rows.size(); ++i) {
      if (m_rows[i].remove == button) {
        removeRow(static_cast<int>(i));
        return;
      }
    }
  });
  m_timer->start();
}

void SweepDialog::removeRow(int row) {
  if (row < 0 || row >= rowCount())
    return;
  m_rowsTable->removeRow(row);  // deletes the row's widgets (deferred for the clicked button)
  m_rows.erase(m_rows.begin() + row);
  m_timer->start();
}

int SweepDialog::rowCount() const {
  return static_cast<int>(m_rows.size());
}

QComboBox* SweepDialog::pathCombo(int row) const {
  return m_rows.at(row).path;
}

QLineEdit* SweepDialog::valuesEdit(int row) const {
  return m_rows.at(row).values;
}

QSpinBox* SweepDialog::zipSpin(int row) const {
  return m_rows.at(row).zip;
}

nlohmann::json SweepDialog::parseValues(const QString& text) {
  const std::string trimmed = text.trimmed().toStdString();
  if (trimmed.empty())
    throw std::invalid_argument("no values; type a comma-separated list such as 64, 128");
  const json whole = json::parse("[" + trimmed + "]", nullptr, false);
  if (!whole.is_discarded())
    return whole;
  json out = json::array();
  for (const QString& token : text.split(QLatin1Char(','))) {
    const std::string t = token.trimmed().toStdString();
    if (t.empty())
      throw std::invalid_argument("an empty value between commas");
    const json value = json::parse(t, nullptr, false);
    out.push_back(value.is_discarded() ? json(t) : value);
  }
  return out;
}

void SweepDialog::updatePreview() {
  m_timer->stop();
  m_points.clear();
  QString error;
  json grid = json::array();
  std::map<int, json> zips;
  for (size_t i = 0; i < m_rows.size() && error.isEmpty(); ++i) {
    const QString path = m_rows[i].path->currentText().trimmed();
    if (path.isEmpty()) {
      error = tr("Row %1: choose or type a field").arg(i + 1);
      break;
    }
    json values;
    try {
      values = parseValues(m_rows[i].values->text());
    } catch (const std::invalid_argument& e) {
      error = tr("%1: %2").arg(path, QString::fromUtf8(e.what()));
      break;
    }
    const json pair = json::array({path.toStdString(), values});
    if (m_rows[i].zip->value() == 0) {
      grid.push_back(pair);
    } else {
      zips[m_rows[i].zip->value()].push_back(pair);
    }
  }
  if (error.isEmpty()) {
    json zip = json::array();
    for (const auto& [group, pairs] : zips)
      zip.push_back(pairs);
    try {
      m_points = expand_sweep(m_base, grid, zip, m_seeds->value());
    } catch (const ConfigError& e) {
      error = QString::fromStdString(e.what());
    }
    const QString name = m_name->text().trimmed();
    if (error.isEmpty() && name.isEmpty()) {
      error = tr("Give the sweep a name");
      m_points.clear();
    }
    m_spec = {{"name", name.toStdString()}, {"base", m_base}, {"grid", grid}, {"zip", zip}};
    if (m_seeds->value() > 1) {
      m_spec["seeds"] = m_seeds->value();
    }
  }
  m_error->setText(error);
  m_error->setVisible(!error.isEmpty());

  // The preview: one row per run, its name, the values it assigns and the validator's verdict.
  m_preview->clear();
  const size_t columns = m_points.empty() ? 0 : m_points.front().assignments.size();
  QStringList headers{tr("Run")};
  for (size_t c = 0; c < columns; ++c)
    headers << QString::fromStdString(m_points.front().assignments[c].first);
  headers << tr("Check");
  m_preview->setColumnCount(headers.size());
  m_preview->setHorizontalHeaderLabels(headers);
  m_preview->setRowCount(static_cast<int>(m_points.size()));
  bool allValid = true;
  for (size_t r = 0; r < m_points.size(); ++r) {
    const SweepPoint& point = m_points[r];
    const QString verdict = m_validator ? m_validator(point.config) : QString();
    allValid = allValid && verdict.isEmpty();
    QStringList cells{QString::fromStdString(point.name)};
    for (const auto& [path, value] : point.assignments)
      cells << QString::fromStdString(value.is_string() ? value.get<std::string>() : value.dump());
    cells << (verdict.isEmpty() ? tr("ok") : verdict);
    for (int c = 0; c < cells.size(); ++c) {
      auto* item = new QTableWidgetItem(cells[c]);
      if (!verdict.isEmpty()) {
        item->setBackground(kInvalidBackground);
        item->setToolTip(verdict);
      }
      m_preview->setItem(static_cast<int>(r), c, item);
    }
  }
  m_preview->resizeColumnsToContents();
  setWindowTitle(error.isEmpty() ? tr("Sweep \u2014 %n run(s)", nullptr, static_cast<int>(m_points.size()))
                                 : tr("Sweep"));
  // Repeating the base over seeds is a sweep even without a field row.
  const bool varies = !m_rows.empty() || m_seeds->value() > 1;
  m_ok->setEnabled(error.isEmpty() && varies && !m_points.empty() && allValid);
  m_ok->setToolTip(allValid ? QString() : tr("Some runs are invalid (marked in the preview)"));
}

std::vector<nlohmann::json> SweepDialog::configs() const {
  std::vector<json> out;
  for (const auto& p : m_points)
    out.push_back(p.config);
  return out;
}

}  // namespace zoolab
