#pragma once

// One parameter of a mixer form: an editor chosen from the parameter's spec (models/registry.cpp
// registry_to_json(): name, type, default, min, max, choices, doc) and a reset button. A field whose
// value equals the spec's default is "at default": MixerForm then omits the key from the kwargs, so the
// registry's default applies (also when the registry's default changes later).

#include <QWidget>

#include <nlohmann/json.hpp>

class QToolButton;

namespace zoolab {

class MixerListEditor;

class MixerParamField : public QWidget {
  Q_OBJECT

 public:
  // `registry` (the whole registry JSON) is needed only by mixer_list parameters.
  MixerParamField(nlohmann::json param, const nlohmann::json& registry, QWidget* parent = nullptr);

  QString name() const;
  const nlohmann::json& param() const { return m_param; }
  // The value shown: null for an int/float parameter whose default is null ("from the data") while at
  // default; the text itself for an int_or_int_list text that does not parse (the engine reports it).
  nlohmann::json value() const;
  bool isDefault() const;
  // Shows `value`; false (and the field unchanged) when the editor cannot represent it: wrong type,
  // out of the spin box's range, not one of the choices.
  bool setValue(const nlohmann::json& value);
  void resetToDefault();

  QWidget* editor() const { return m_editor; }
  QToolButton* resetButton() const { return m_reset; }
  // For mixer_list parameters, else nullptr.
  MixerListEditor* listEditor() const;

 Q_SIGNALS:
  // The user (or setValue/resetToDefault) changed the value.
  void changed();

 private:
  void onEdited();
  void updateResetButton();

  nlohmann::json m_param;
  QString m_type;
  QWidget* m_editor = nullptr;
  QToolButton* m_reset = nullptr;
  bool m_loading = false;
};

// The kwargs of a list entry compared with defaults filled in (so {"kernel_size": 3} equals {} for
// base_conv); used to decide whether a mixer list equals its default.
nlohmann::json mixerKwargsWithDefaults(const nlohmann::json& spec, const nlohmann::json& kwargs);

// The registry entry named `name`, or nullptr.
const nlohmann::json* findMixerSpec(const nlohmann::json& registry, const std::string& name);

}  // namespace zoolab
