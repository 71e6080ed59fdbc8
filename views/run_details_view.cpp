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

#include "engine/config/run_config.h"
#include "views/number_text.h"
#include "views/run_colours.h"
#include "views/run_table_model.h"
#include "views/view_colours.h"

namespace zoolab {

namespace {

QString orDash(const std::string& text) {
  return text.empty() ? QStringLiteral("–") : QString::fromStdString(text);
}

const MetricSummary* findSummary(const std::vector<MetricSummary>& summaries, const char* key) {
  for (const auto& s : summaries) {
    if (s.key == key) {
      return &s;
    }
  }
  return nullptr;
}

QString count(int64_t n) {
  return QLocale().toString(static_cast<qlonglong>(n));
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
  m_errorTitle = new QLabel(tr("Error"), m_body);
  bodyLayout->addWidget(m_errorTitle);
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
  auto* title = new QLabel(label + QLatin1Char(':'), this);
  m_form->addRow(title, value);
  m_fields.push_back({label, label, title, value});
  return value;
}

void RunDetailsView::setField(const QString& key, const QString& text) {
  for (const Field& field : m_fields) {
    if (field.key == key) {
      field.value->setText(text);
    }
  }
}

void RunDetailsView::relabel(const QString& key, const QString& shown) {
  for (Field& field : m_fields) {
    if (field.key == key && field.shown != shown) {
      field.shown = shown;
      field.label->setText(shown + QLatin1Char(':'));
    }
  }
}

QString RunDetailsView::fieldText(const QString& label) const {
  if (label == tr("Error") || label == m_errorTitle->text()) {
    return m_error->toPlainText();
  }
  for (const Field& field : m_fields) {
    if (field.key == label || field.shown == label) {
      return field.value->text();
    }
  }
  return {};
}

QString RunDetailsView::fieldLabel(const QString& key) const {
  if (key == tr("Error")) {
    return m_errorTitle->text();
  }
  for (const Field& field : m_fields) {
    if (field.key == key) {
      return field.shown;
    }
  }
  return {};
}

QString RunDetailsView::hintText() const {
  return m_hint->isVisible() || !m_runId ? m_hint->text() : QString();
}

QString RunDetailsView::configText() const {
  return m_config->toPlainText();
}

void RunDetailsView::clear(const QString& hint) {
  m_runId.reset();
  m_configJson.clear();
  m_title->setText(tr("<b>No run selected</b>"));
  m_hint->setText(hint.isEmpty() ? tr("Select a run in the table to see its details.") : hint);
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
  const auto set = [this](const QString& label, const QString& text) { setField(label, text); };

  set(tr("Status"), QString::fromLatin1(to_string(run.status)));
  // The state in its table colour: a cancelled run is amber like in the table, not red like a failure.
  for (const Field& field : m_fields) {
    if (field.key == tr("Status")) {
      QPalette palette = field.value->palette();
      palette.setColor(QPalette::WindowText, RunTableModel::statusColour(run.status));
      field.value->setPalette(palette);
    }
  }
  if (run.task == "text") {
    showTextProgress(run, summaries);
  } else {
    showProgress(run, summaries);
  }
  set(tr("Mixer"), QString::fromStdString(run.mixer));
  // State size counts bytes (4 per float of recurrent state, as Zoology reports it): binary units.
  set(tr("Model"), tr("d_model %1, %2 layers, %3 parameters, state size %4")
                       .arg(setting("model", "d_model"), setting("model", "n_layers"))
                       .arg(run.num_parameters > 0 ? count(run.num_parameters) : QStringLiteral("?"))
                       .arg(run.state_size > 0 ? formatBytes(run.state_size) : QStringLiteral("?")));
  const MetricSummary* loss = findSummary(summaries, "valid/loss");
  if (!loss) {
    loss = findSummary(summaries, "train/loss");
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
  showEnd(run);
  set(tr("Tags"), orDash(run.tags));
  set(tr("Notes"), orDash(run.notes));

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

void RunDetailsView::showProgress(const RunRecord& run, const std::vector<MetricSummary>& summaries) {
  const auto json = nlohmann::json::parse(run.config_json, nullptr, /*allow_exceptions=*/false);
  QString maxEpochs = QStringLiteral("?");
  if (json.is_object() && json.contains("train") && json["train"].is_object() &&
      json["train"].contains("max_epochs") && json["train"]["max_epochs"].is_number_integer()) {
    maxEpochs = QString::number(json["train"]["max_epochs"].get<int64_t>());
  }
  relabel(tr("Progress"), tr("Progress"));
  setField(tr("Progress"), tr("%1 of %2 epochs, %3 steps").arg(run.epochs).arg(maxEpochs, count(run.steps)));
  relabel(tr("Best accuracy"), tr("Best accuracy"));
  const MetricSummary* accuracy = findSummary(summaries, "valid/accuracy");
  setField(tr("Best accuracy"),
           accuracy ? tr("%1 at step %2").arg(accuracy->best, 0, 'f', 4).arg(accuracy->best_step)
                    : QStringLiteral("–"));
}

void RunDetailsView::showTextProgress(const RunRecord& run, const std::vector<MetricSummary>& summaries) {
  // A text run trains by token budget, not epochs: steps and tokens of the budget, and its quality is
  // the validation perplexity (engine/train/text_trainer.cpp logs valid/loss and valid/perplexity).
  QString progress;
  try {
    const RunConfig config =
        parse_run_config(nlohmann::json::parse(run.config_json, nullptr, /*allow_exceptions=*/false));
    const int64_t totalSteps = text_train_steps(config.data);
    const int64_t perStep = config.data.train_batch_size * config.data.text.context_length;
    progress = tr("%1 of %2 steps, %3 of %4 tokens")
                   .arg(count(run.steps), count(totalSteps), count(run.steps * perStep),
                        count(config.data.text.train_tokens));
  } catch (const std::exception&) {
    // A stored configuration this build cannot read: what the run record knows.
    progress = tr("%1 steps").arg(count(run.steps));
  }
  relabel(tr("Progress"), tr("Progress"));
  setField(tr("Progress"), progress);
  relabel(tr("Best accuracy"), tr("Best perplexity"));
  const MetricSummary* perplexity = findSummary(summaries, "valid/perplexity");
  const MetricSummary* loss = findSummary(summaries, "valid/loss");
  if (!perplexity) {
    setField(tr("Best accuracy"), tr("– (no validation yet)"));
  } else if (loss) {
    setField(tr("Best accuracy"), tr("%1 (valid loss %2) at step %3")
                                      .arg(perplexity->best, 0, 'f', 2)
                                      .arg(loss->best, 0, 'f', 4)
                                      .arg(perplexity->best_step));
  } else {
    setField(tr("Best accuracy"),
             tr("%1 at step %2").arg(perplexity->best, 0, 'f', 2).arg(perplexity->best_step));
  }
}

void RunDetailsView::showEnd(const RunRecord& run) {
  // How the run ended, named for what it is: a cancelled or interrupted run stopped (and can be resumed),
  // it did not fail, so its message is a reason in the ordinary colour, not an error.
  QString ended = tr("Finished");
  QString errorTitle = tr("Error");
  QString placeholder = tr("No error");
  m_errorIsFailure = false;
  switch (run.status) {
    case RunStatus::Cancelled:
      ended = tr("Cancelled");
      errorTitle = tr("Why it stopped");
      placeholder = tr("Cancelled; Resume continues it from its last checkpoint");
      break;
    case RunStatus::Interrupted:
      ended = tr("Interrupted");
      errorTitle = tr("Why it stopped");
      placeholder = tr("Interrupted; Resume continues it from its last checkpoint");
      break;
    case RunStatus::Failed:
      ended = tr("Failed");
      m_errorIsFailure = !run.error.empty();
      break;
    case RunStatus::Diverged:
      ended = tr("Diverged");
      m_errorIsFailure = !run.error.empty();
      break;
    case RunStatus::Finished:
    case RunStatus::Queued:
    case RunStatus::Running:
      break;
  }
  relabel(tr("Finished"), ended);
  setField(tr("Finished"), orDash(run.finished_at));
  m_errorTitle->setText(errorTitle);
  m_error->setPlainText(QString::fromStdString(run.error));
  m_error->setPlaceholderText(placeholder);
  QPalette palette = m_error->palette();
  palette.setColor(QPalette::Text, m_errorIsFailure ? kErrorColour : this->palette().color(QPalette::Text));
  m_error->setPalette(palette);
}

}  // namespace zoolab
