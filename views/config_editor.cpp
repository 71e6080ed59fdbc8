#include "views/config_editor.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStyle>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include "engine/config/run_config.h"
#include "views/run_config_form.h"
#include "views/sweep_dialog.h"

namespace zoolab {

using nlohmann::json;

namespace {

constexpr int kValidationDelayMs = 200;

// "line 3, column 7: <what>" from nlohmann's byte offset (1-based, counted in the text's bytes).
QString parseErrorText(const std::string& text, const json::parse_error& e) {
  int line = 1;
  int column = 1;
  const size_t end = std::min<size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  // e.what(): "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error ...".
  std::string what = e.what();
  const size_t colon = what.find(": ");
  if (colon != std::string::npos)
    what = what.substr(colon + 2);
  return QObject::tr("JSON error at line %1, column %2: %3")
      .arg(line)
      .arg(column)
      .arg(QString::fromStdString(what));
}

}  // namespace

ConfigEditor::ConfigEditor(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* presetRow = new QHBoxLayout();
  presetRow->addWidget(new QLabel(tr("Start from"), this));
  m_presets = new QComboBox(this);
  m_presets->setToolTip(tr("Load a preset into the form (it replaces the current configuration)"));
  presetRow->addWidget(m_presets, 1);
  layout->addLayout(presetRow);

  m_form = new RunConfigForm(this);
  layout->addWidget(m_form, 1);

  auto* jsonPage = new QWidget();
  auto* jsonLayout = new QVBoxLayout(jsonPage);
  m_json = new QPlainTextEdit(jsonPage);
  m_json->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  m_json->setLineWrapMode(QPlainTextEdit::NoWrap);
  jsonLayout->addWidget(m_json, 1);
  m_jsonError = new QLabel(jsonPage);
  m_jsonError->setWordWrap(true);
  m_jsonError->setStyleSheet(QStringLiteral("color: #c0392b;"));
  m_jsonError->hide();
  jsonLayout->addWidget(m_jsonError);
  m_form->tabs()->addTab(jsonPage, tr("JSON"));

  m_messageLabel = new QLabel(this);
  m_messageLabel->setWordWrap(true);
  m_messageLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_messageLabel->setStyleSheet(QStringLiteral("color: #c0392b;"));
  m_messageLabel->hide();
  layout->addWidget(m_messageLabel);

  auto* buttons = new QHBoxLayout();
  m_buttonRow = buttons;
  buttons->addStretch(1);
  m_sweep = new QPushButton(tr("Sweep\u2026"), this);
  m_sweep->setToolTip(tr("Launch several runs that vary some fields of this configuration"));
  m_launch = new QPushButton(tr("Launch"), this);
  m_launch->setDefault(true);
  buttons->addWidget(m_sweep);
  buttons->addWidget(m_launch);
  layout->addLayout(buttons);

  m_validateTimer = new QTimer(this);
  m_validateTimer->setSingleShot(true);
  m_validateTimer->setInterval(kValidationDelayMs);
  connect(m_validateTimer, &QTimer::timeout, this, &ConfigEditor::validateNow);
  connect(m_form, &RunConfigForm::changed, this, &ConfigEditor::onFormChanged);
  connect(m_json, &QPlainTextEdit::textChanged, this, &ConfigEditor::onJsonEdited);
  connect(m_presets, qOverload<int>(&QComboBox::activated), this, &ConfigEditor::onPresetChosen);
  connect(m_launch, &QPushButton::clicked, this, &ConfigEditor::onLaunch);
  connect(m_sweep, &QPushButton::clicked, this, &ConfigEditor::onSweep);

  setPresets({});
  setConfig(defaultConfig());
}

json ConfigEditor::defaultConfig() {
  RunConfig c;
  c.name = "mqar";
  SegmentConfig train;
  train.with("num_kv_pairs", 4);
  train.num_examples = 100000;
  SegmentConfig test = train;
  test.num_examples = 3000;
  c.data.train = {train};
  c.data.test = {test};
  json out = to_json(c);
  out.erase("description");
  out["data"].erase("cache_dir");
  return out;
}

void ConfigEditor::setMixerSpecs(const nlohmann::json& registry) {
  m_form->setMixerSpecs(registry);
  scheduleValidation();
}

void ConfigEditor::setPresets(std::vector<std::pair<QString, nlohmann::json>> presets) {
  m_presetConfigs = std::move(presets);
  m_presets->clear();
  m_presets->addItem(tr("From scratch (default MQAR run)"));
  for (const auto& [name, config] : m_presetConfigs) {
    m_presets->addItem(name);
    if (config.contains("description") && config["description"].is_string())
      m_presets->setItemData(m_presets->count() - 1,
                             QString::fromStdString(config["description"].get<std::string>()),
                             Qt::ToolTipRole);
  }
}

void ConfigEditor::setValidator(Validator validator) {
  m_validator = std::move(validator);
  scheduleValidation();
}

namespace {

// What a description speaks about: everything but the name and the description itself.
json describedBody(json config) {
  if (config.is_object()) {
    config.erase("name");
    config.erase("description");
  }
  return config;
}

}  // namespace

json ConfigEditor::config() const {
  return withOriginDescription(m_form->config());
}

json ConfigEditor::withOriginDescription(json config) const {
  if (m_originDescription.empty() || !config.is_object() || describedBody(config) == m_originBody) {
    return config;
  }
  const auto found = config.find("description");
  if (found == config.end() || !found->is_string() || found->get<std::string>() != m_originDescription) {
    return config;  // the user's own description
  }
  if (m_originPreset.isEmpty()) {
    config.erase("description");
  } else {
    config["description"] = tr("Edited from preset %1.").arg(m_originPreset).toStdString();
  }
  return config;
}

void ConfigEditor::setConfig(const nlohmann::json& config) {
  loadOrigin(config, QString());
}

void ConfigEditor::loadOrigin(const nlohmann::json& config, const QString& preset) {
  m_form->setConfig(config);
  const json loaded = m_form->config();
  const auto description = loaded.find("description");
  m_originDescription = description != loaded.end() && description->is_string()
                            ? description->get<std::string>()
                            : std::string();
  m_originPreset = preset;
  m_originBody = describedBody(loaded);
  m_jsonParseError.clear();
  showJson();
  Q_EMIT configChanged();
  scheduleValidation();
}

void ConfigEditor::onFormChanged() {
  m_jsonParseError.clear();  // the form wins: the text is rewritten from it
  showDescription();
  showJson();
  Q_EMIT configChanged();
  scheduleValidation();
}

void ConfigEditor::showJson() {
  m_showingJson = true;
  m_json->setPlainText(QString::fromStdString(config().dump(2)));
  m_showingJson = false;
  m_jsonError->hide();
}

void ConfigEditor::onJsonEdited() {
  if (m_showingJson)
    return;
  const std::string text = m_json->toPlainText().toStdString();
  m_jsonParseError.clear();
  json parsed;
  try {
    parsed = json::parse(text);
  } catch (const json::parse_error& e) {
    m_jsonParseError = parseErrorText(text, e);
  }
  if (m_jsonParseError.isEmpty() && !parsed.is_object())
    m_jsonParseError = tr("JSON error: a run configuration is an object {...}, got %1")
                           .arg(QString::fromStdString(parsed.type_name()));
  if (!m_jsonParseError.isEmpty()) {
    // The form keeps the last configuration that parsed.
    m_jsonError->setText(m_jsonParseError);
    m_jsonError->show();
    scheduleValidation();
    return;
  }
  m_jsonError->hide();
  m_form->setConfig(parsed);  // the text stays as typed
  showDescription();
  Q_EMIT configChanged();
  scheduleValidation();
}

void ConfigEditor::showDescription() {
  // The description field shows what a launch would store (config()); setText is no user edit, so the
  // form still holds the origin's text, and config() keeps replacing it.
  auto* field = qobject_cast<QLineEdit*>(m_form->widgetForPath(QStringLiteral("description")));
  const json described = config();
  const auto found = described.find("description");
  const QString text = found != described.end() && found->is_string()
                           ? QString::fromStdString(found->get<std::string>())
                           : QString();
  if (field && field->text() != text) {
    field->setText(text);
  }
}

void ConfigEditor::onPresetChosen(int index) {
  if (index == 0) {
    setConfig(defaultConfig());
  } else if (index - 1 < static_cast<int>(m_presetConfigs.size())) {
    loadOrigin(m_presetConfigs[index - 1].second, m_presetConfigs[index - 1].first);
  }
}

void ConfigEditor::scheduleValidation() {
  m_validateTimer->start();
}

void ConfigEditor::validateNow() {
  m_validateTimer->stop();
  QString message = m_jsonParseError;
  if (message.isEmpty() && m_validator)
    message = m_validator(config());
  m_message = message;
  m_messageLabel->setText(message);
  m_messageLabel->setVisible(!message.isEmpty());
  QWidget* target = nullptr;
  if (!message.isEmpty() && m_jsonParseError.isEmpty()) {
    const int colon = message.indexOf(QLatin1String(": "));
    if (colon > 0)
      target = m_form->widgetForPath(message.left(colon));
  }
  markInvalid(target);
  m_launch->setEnabled(message.isEmpty());
  m_sweep->setEnabled(message.isEmpty());
}

void ConfigEditor::markInvalid(QWidget* widget) {
  if (m_invalidWidget && m_invalidWidget != widget) {
    m_invalidWidget->setProperty("invalid", false);
    m_invalidWidget->setStyleSheet(QString());
  }
  m_invalidWidget = widget;
  if (widget) {
    widget->setProperty("invalid", true);
    widget->setStyleSheet(QStringLiteral("border: 1px solid #c0392b;"));
  }
}

void ConfigEditor::setLaunchInfo(QWidget* widget) {
  // On its own full-width line just above the Launch button's row.
  auto* column = qobject_cast<QVBoxLayout*>(layout());
  for (int i = 0; i < column->count(); ++i) {
    if (column->itemAt(i)->layout() == m_buttonRow) {
      column->insertWidget(i, widget);
      return;
    }
  }
  column->addWidget(widget);
}

void ConfigEditor::onLaunch() {
  validateNow();  // never launch what was not validated as it is now
  if (isValid())
    Q_EMIT launchRequested(config());
}

void ConfigEditor::onSweep() {
  validateNow();
  if (!isValid())
    return;
  SweepDialog dialog(config(), m_form->fieldPaths(), m_validator, this);
  if (dialog.exec() == QDialog::Accepted)
    Q_EMIT sweepRequested(dialog.spec());
}

}  // namespace zoolab
