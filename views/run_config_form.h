#pragma once

// The form of a run configuration (docs/architecture.md#configuration, engine/config/run_config.h): the
// header (name, seed, description) and the Task, Model and Training pages of a QTabWidget that ConfigEditor
// completes with its JSON page.
//
// The form edits a JSON document rather than a RunConfig, so that what it does not show (keys of a
// newer engine, a field left at its default, a mistyped value the validator will report) is preserved:
// an edit writes only the field edited. Fields missing from the document show the engine's defaults.

#include <functional>
#include <vector>

#include <QWidget>

#include <nlohmann/json.hpp>

class QComboBox;
class QTabWidget;
class QVBoxLayout;

namespace zoolab {

class MixerForm;
class SegmentTable;

class RunConfigForm : public QWidget {
  Q_OBJECT

 public:
  explicit RunConfigForm(QWidget* parent = nullptr);

  // The registry JSON (models/registry.cpp registry_to_json()); the mixer combos list its sequence and
  // state mixers. The current configuration is shown again with the new specs.
  void setMixerSpecs(const nlohmann::json& registry);

  // Shows `config` (any JSON object). Does not emit changed().
  void setConfig(const nlohmann::json& config);
  const nlohmann::json& config() const { return m_config; }

  QTabWidget* tabs() const { return m_tabs; }
  // The editor of a dotted path as the engine reports it ("model.d_model", "data.train[0].num_kv_pairs",
  // "model.sequence_mixer.kwargs.num_heads", "data.batch_size"), or of the closest enclosing field
  // shown; nullptr when nothing on the form matches.
  QWidget* widgetForPath(const QString& path) const;
  // The dotted paths of the scalar fields on the form, in form order ("model.d_model", ...).
  QStringList fieldPaths() const;

  SegmentTable* trainSegments() const { return m_train; }
  SegmentTable* testSegments() const { return m_test; }
  QComboBox* sequenceMixerCombo() const { return m_sequenceCombo; }
  QComboBox* stateMixerCombo() const { return m_stateCombo; }
  MixerForm* sequenceMixerForm() const { return m_sequenceForm; }
  MixerForm* stateMixerForm() const { return m_stateForm; }

 Q_SIGNALS:
  // The user edited a field; config() has the edit.
  void changed();

 private:
  struct Binding {
    QString path;
    QWidget* widget = nullptr;
    std::function<void(const nlohmann::json* value)> load;  // value at path, or nullptr
    std::function<nlohmann::json()> read;
  };

  QWidget* buildTaskPage();
  QWidget* buildModelPage();
  QWidget* buildTrainingPage();
  QWidget* intField(const QString& path, int min, int max, const QString& special = QString());
  QWidget* doubleField(const QString& path, double min, double max);
  QWidget* boolField(const QString& path, const QString& text);
  QWidget* textField(const QString& path);
  QWidget* choiceField(const QString& path, const QStringList& choices, bool editable);
  QWidget* sliceKeysField();
  // Registers a field; returns its index for onBindingEdited().
  int bind(Binding binding);
  void onBindingEdited(int index);
  void loadMixer(const char* key);
  void onMixerChosen(const char* key);
  void fillMixerCombos();

  nlohmann::json m_config = nlohmann::json::object();
  nlohmann::json m_defaults;
  nlohmann::json m_registry = nlohmann::json::array();
  std::vector<Binding> m_bindings;
  QTabWidget* m_tabs = nullptr;
  SegmentTable* m_train = nullptr;
  SegmentTable* m_test = nullptr;
  QComboBox* m_sequenceCombo = nullptr;
  QComboBox* m_stateCombo = nullptr;
  MixerForm* m_sequenceForm = nullptr;
  MixerForm* m_stateForm = nullptr;
  QVBoxLayout* m_sequenceBox = nullptr;
  QVBoxLayout* m_stateBox = nullptr;
  bool m_loading = false;
};

// Sets `value` at a dotted path of `root`, creating objects on the way ("data.batch_size.1" indexes a
// list; a number there becomes the pair [n, n] first).
void setJsonPath(nlohmann::json& root, const std::string& path, const nlohmann::json& value);

}  // namespace zoolab
