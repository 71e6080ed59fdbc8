#include "views/run_details_view.h"

#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include "views/run_colours.h"

namespace zoolab {

namespace {

QString orDash(const std::string& text) {
  return text.empty() ? QStringLiteral("–") : QString::fromStdString(text);
}

// The config as the user wrote it, indented; the raw text when it is not JSON (never hide what is stored).
QString prettyConfig(const std::string& configJson) {
  const auto json = nlohmann::json::parse(configJson, nullptr, /*allow_exceptions=*/false);
  return json.is_discarded() ? QString::fromStdString(configJson) : QString::fromStdString(json.dump(2));
}

}  // namespace

RunDetailsView::RunDetailsView(QWidget* parent) : QWidget(parent) {
  m_title = new QLabel(this);
  m_title->setTextFormat(Qt::RichText);
  m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_hint = new QLabel(tr("Select a run in the table to see its details."), this);
  m_hint->setAlignment(Qt::AlignCenter);
  m_hint->setForegroundRole(QPalette::PlaceholderText);

  m_body = new QWidget(this);
  m_form = new QFormLayout;
  m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  for (const QString& label :
       {tr("Status"), tr("Progress"), tr("Mixer"), tr("Model"), tr("Best accuracy"), tr("Last loss"),
        tr("Seed"), tr("Device"), tr("Created"), tr("Started"), tr("Finished"), tr("Tags"), tr("Notes")}) {
    addField(label);
  }

  m_error = new QPlainTextEdit(this);
  m_error->setReadOnly(true);
  m_error->setMaximumHeight(m_error->fontMetrics().lineSpacing() * 6);
  m_error->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

  m_checkpoints = new QTreeWidget(this);
  m_checkpoints->setHeaderLabels({tr("Epoch"), tr("Step"), tr("Written"), tr("File")});
  m_checkpoints->setRootIsDecorated(false);
  m_checkpoints->setMaximumHeight(m_checkpoints->fontMetrics().lineSpacing() * 6);
  m_checkpoints->header()->setStretchLastSection(true);

  m_config = new QPlainTextEdit(this);
  m_config->setReadOnly(true);
  m_config->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  m_config->setLineWrapMode(QPlainTextEdit::NoWrap);

  m_cancelButton = new QPushButton(tr("Cancel"), this);
  m_cancelButton->setToolTip(tr("Stop the run; a running one finishes its step and writes a checkpoint"));
  m_resumeButton = new QPushButton(tr("Resume"), this);
  m_resumeButton->setToolTip(tr("Queue the run again; the worker continues it from its last checkpoint"));
  m_duplicateButton = new QPushButton(tr("Duplicate and edit…"), this);
  m_duplicateButton->setToolTip(tr("Open this run's configuration in the editor as a new run"));
  m_deleteButton = new QPushButton(tr("Delete…"), this);
  m_deleteButton->setToolTip(tr("Delete the run, its metrics and its checkpoint files"));
  const auto forward = [this](QPushButton* button, void (RunDetailsView::*signal)(qint64)) {
    connect(button, &QPushButton::clicked, this, [this, signal] {
      if (m_runId) {
        Q_EMIT(this->*signal)(*m_runId);
      }
    });
  };
  forward(m_cancelButton, &RunDetailsView::cancelRequested);
  forward(m_resumeButton, &RunDetailsView::resumeRequested);
  forward(m_duplicateButton, &RunDetailsView::duplicateRequested);
  forward(m_deleteButton, &RunDetailsView::deleteRequested);

  auto* buttons = new QHBoxLayout;
  buttons->addWidget(m_cancelButton);
  buttons->addWidget(m_resumeButton);
  buttons->addWidget(m_duplicateButton);
  buttons->addStretch(1);
  buttons->addWidget(m_deleteButton);

  auto* bodyLayout = new QVBoxLayout(m_body);
  bodyLayout->setContentsMargins(0, 0, 0, 0);
  bodyLayout->addLayout(m_form);
  bodyLayout->addWidget(new QLabel(tr("Error"), m_body));
  bodyLayout->addWidget(m_error);
  bodyLayout->addWidget(new QLabel(tr("Checkpoints"), m_body));
  bodyLayout->addWidget(m_checkpoints);
  bodyLayout->addWidget(new QLabel(tr("Configuration"), m_body));
  bodyLayout->addWidget(m_config, 1);
  bodyLayout->addLayout(buttons);

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(m_title);
  layout->addWidget(m_hint, 1);
  layout->addWidget(m_body, 1);
  clear();
}

QLabel* RunDetailsView::addField(const QString& label) {
  auto* value = new QLabel(this);
  value->setTextInteractionFlags(Qt::TextSelectableByMouse);
  value->setWordWrap(true);
  m_form->addRow(label + QLatin1Char(':'), value);
  m_fields.emplace_back(label, value);
  return value;
}

QString RunDetailsView::fieldText(const QString& label) const {
  if (label == tr("Error")) {
    return m_error->toPlainText();
  }
  for (const auto& [name, value] : m_fields) {
    if (name == label) {
      return value->text();
    }
  }
  return {};
}

QString RunDetailsView::configText() const {
  return m_config->toPlainText();
}

void RunDetailsView::clear() {
  m_runId.reset();
  m_configJson.clear();
  m_title->setText(tr("<b>No run selected</b>"));
  m_hint->show();
  m_body->hide();
}

void RunDetailsView::setRun(const RunRecord& run, const std::vector<MetricSummary>& summaries,
                            const std::vector<CheckpointRecord>& checkpoints) {
  m_hint->hide();
  m_body->show();
  const bool sameRun = m_runId && *m_runId == run.id;
  m_runId = run.id;

  const QColor colour = runColour(run.id, run.colour);
  m_title->setText(QStringLiteral("<span style=\"color:%1\">■</span> <b>%2</b> &nbsp;(run %3, %4)")
                       .arg(colour.name(), QString::fromStdString(run.name).toHtmlEscaped())
                       .arg(run.id)
                       .arg(QString::fromStdString(run.task)));

  const auto json = nlohmann::json::parse(run.config_json, nullptr, /*allow_exceptions=*/false);
  const auto setting = [&](const char* section, const char* key) -> QString {
    if (!json.is_object() || !json.contains(section) || !json[section].is_object() ||
        !json[section].contains(key)) {
      return QStringLiteral("?");
    }
    const auto& value = json[section][key];
    return value.is_string() ? QString::fromStdString(value.get<std::string>())
                             : QString::fromStdString(value.dump());
  };
  const auto summary = [&](const char* key) -> const MetricSummary* {
    for (const auto& s : summaries) {
      if (s.key == key) {
        return &s;
      }
    }
    return nullptr;
  };

  const auto set = [&](const QString& label, const QString& text) {
    for (auto& [name, value] : m_fields) {
      if (name == label) {
        value->setText(text);
      }
    }
  };
  set(tr("Status"), QString::fromLatin1(to_string(run.status)));
  set(tr("Progress"), tr("%1 of %2 epochs, %3 steps")
                          .arg(run.epochs)
                          .arg(setting("train", "max_epochs"))
                          .arg(QLocale().toString(static_cast<qlonglong>(run.steps))));
  set(tr("Mixer"), QString::fromStdString(run.mixer));
  set(tr("Model"),
      tr("d_model %1, %2 layers, %3 parameters, state size %4")
          .arg(setting("model", "d_model"), setting("model", "n_layers"))
          .arg(run.num_parameters > 0 ? QLocale().toString(static_cast<qlonglong>(run.num_parameters))
                                      : QStringLiteral("?"))
          .arg(run.state_size > 0 ? QLocale().toString(static_cast<qlonglong>(run.state_size))
                                  : QStringLiteral("?")));
  const MetricSummary* accuracy = summary("valid/accuracy");
  set(tr("Best accuracy"), accuracy
                               ? tr("%1 at step %2").arg(accuracy->best, 0, 'f', 4).arg(accuracy->best_step)
                               : QStringLiteral("–"));
  const MetricSummary* loss = summary("valid/loss");
  if (!loss) {
    loss = summary("train/loss");
  }
  set(tr("Last loss"), loss ? tr("%1 (%2) at step %3")
                                  .arg(loss->last, 0, 'f', 4)
                                  .arg(QString::fromStdString(loss->key))
                                  .arg(loss->last_step)
                            : QStringLiteral("–"));
  set(tr("Seed"), QString::number(run.seed));
  set(tr("Device"), orDash(run.device));
  set(tr("Created"), orDash(run.created_at));
  set(tr("Started"), orDash(run.started_at));
  set(tr("Finished"), orDash(run.finished_at));
  set(tr("Tags"), orDash(run.tags));
  set(tr("Notes"), orDash(run.notes));

  m_error->setPlainText(QString::fromStdString(run.error));
  m_error->setPlaceholderText(tr("No error"));

  m_checkpoints->clear();
  for (const CheckpointRecord& checkpoint : checkpoints) {
    auto* item = new QTreeWidgetItem(m_checkpoints);
    item->setText(0, QString::number(checkpoint.epoch));
    item->setText(1, QString::number(checkpoint.step));
    item->setText(2, QString::fromStdString(checkpoint.created_at));
    item->setText(3, QString::fromStdString(checkpoint.path));
    item->setToolTip(3, QString::fromStdString(checkpoint.path));
  }

  if (!sameRun || run.config_json != m_configJson) {
    const int scroll = sameRun ? m_config->verticalScrollBar()->value() : 0;
    m_config->setPlainText(prettyConfig(run.config_json));
    m_config->verticalScrollBar()->setValue(scroll);
    m_configJson = run.config_json;
  }

  const bool active = run.status == RunStatus::Queued || run.status == RunStatus::Running;
  m_cancelButton->setEnabled(active);
  m_resumeButton->setEnabled(run.status == RunStatus::Cancelled || run.status == RunStatus::Interrupted);
  m_deleteButton->setEnabled(run.status != RunStatus::Running);
  m_deleteButton->setToolTip(run.status == RunStatus::Running
                                 ? tr("Cancel the run first: a running run cannot be deleted")
                                 : tr("Delete the run, its metrics and its checkpoint files"));
}

}  // namespace zoolab
