#pragma once

// "Configure and launch": a run configuration edited as a form (RunConfigForm: Task, Model, Training)
// and as JSON text, kept in sync both ways, validated as it changes, and handed on as a launch or a
// sweep. The editor knows neither the mixer registry nor the engine: app/ passes the registry JSON,
// the presets and a validator in, so views stay free of models/ and torch.

#include <functional>
#include <utility>
#include <vector>

#include <QPointer>
#include <QWidget>

#include <nlohmann/json.hpp>

class QComboBox;
class QHBoxLayout;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTimer;

namespace zoolab {

class RunConfigForm;

class ConfigEditor : public QWidget {
  Q_OBJECT

 public:
  // Returns "" for a valid configuration, else the engine's message, which starts with the JSON path
  // of the offending field: "model.d_model: must be a multiple of num_heads".
  using Validator = std::function<QString(const nlohmann::json& config)>;

  explicit ConfigEditor(QWidget* parent = nullptr);

  // The mixer registry as `zoolab-cli mixers --json` prints it (models/registry.h registry_to_json()).
  void setMixerSpecs(const nlohmann::json& registry);
  // The preset combo lists "From scratch" (defaultConfig()) and then these, in this order.
  void setPresets(std::vector<std::pair<QString, nlohmann::json>> presets);
  // Without a validator every configuration counts as valid.
  void setValidator(Validator validator);

  // The configuration as launched. A description that came with a preset or a duplicated run states what
  // that configuration measured ("measured 0.9935"): once anything but the name is edited, it no longer
  // describes this run, so it becomes "Edited from preset NAME." (or is dropped for a duplicated run)
  // unless the user wrote a description of their own.
  nlohmann::json config() const;
  // Shows `config` in the form and the JSON text, and validates it; its description is kept until the
  // configuration is edited (see config()).
  void setConfig(const nlohmann::json& config);
  // "From scratch": a small MQAR run with the engine's defaults (attention + MLP, one segment each).
  static nlohmann::json defaultConfig();

  // The last validation's message ("" when valid), or the JSON text's parse error.
  QString validationMessage() const { return m_message; }
  bool isValid() const { return m_message.isEmpty(); }
  // Runs the (normally debounced) validation now.
  void validateNow();

  RunConfigForm* form() const { return m_form; }
  QComboBox* presetCombo() const { return m_presets; }
  QPlainTextEdit* jsonEdit() const { return m_json; }
  QLabel* jsonErrorLabel() const { return m_jsonError; }
  QLabel* messageLabel() const { return m_messageLabel; }
  QPushButton* launchButton() const { return m_launch; }
  QPushButton* sweepButton() const { return m_sweep; }
  // Puts `widget` (app/'s launch cost) on a line just above the Launch button; the editor owns it.
  void setLaunchInfo(QWidget* widget);
  // The field the last message points at (marked with the property "invalid"), or nullptr.
  QWidget* invalidWidget() const { return m_invalidWidget; }

 Q_SIGNALS:
  void launchRequested(nlohmann::json config);
  // The Sweep dialog was accepted: its sweep file {"name", "base", "grid", "zip"} (views/sweep_dialog.h).
  void sweepRequested(nlohmann::json spec);
  // The configuration changed (form, JSON text, preset or setConfig()).
  void configChanged();

 private:
  void onFormChanged();
  void onJsonEdited();
  void onPresetChosen(int index);
  void onLaunch();
  void onSweep();
  void showJson();
  void scheduleValidation();
  void markInvalid(QWidget* widget);
  // Loads `config` and remembers it as the origin whose description config() guards; `preset` names it.
  void loadOrigin(const nlohmann::json& config, const QString& preset);
  // `config` with the origin's description replaced when the configuration was edited (config()).
  nlohmann::json withOriginDescription(nlohmann::json config) const;
  void showDescription();

  RunConfigForm* m_form = nullptr;
  QComboBox* m_presets = nullptr;
  QPlainTextEdit* m_json = nullptr;
  QLabel* m_jsonError = nullptr;
  QLabel* m_messageLabel = nullptr;
  QPushButton* m_launch = nullptr;
  QPushButton* m_sweep = nullptr;
  QHBoxLayout* m_buttonRow = nullptr;
  QTimer* m_validateTimer = nullptr;
  QPointer<QWidget> m_invalidWidget;
  std::vector<std::pair<QString, nlohmann::json>> m_presetConfigs;
  Validator m_validator;
  QString m_message;
  QString m_jsonParseError;
  bool m_showingJson = false;
  // What was loaded last (setConfig or a preset): its description, its preset's name ("" for a
  // duplicated run) and the form's configuration then, without name and description.
  std::string m_originDescription;
  QString m_originPreset;
  nlohmann::json m_originBody;
};

}  // namespace zoolab
