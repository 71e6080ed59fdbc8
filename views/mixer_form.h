#pragma once

// The form of one mixer's kwargs, built from its registry entry (models/registry.cpp
// registry_to_json(): {"name", "kind", "summary", "params": [{name, type, default, min, max, choices,
// doc}]}). The views never see the registry itself: app/ passes its JSON in.
//
// kwargs() holds only the parameters that differ from their defaults (a key left out means "the
// registry's default"). Keys the spec does not know, and values a field cannot show, are kept verbatim
// in kwargs() and listed under the form, so loading a config never drops anything silently; the
// engine's validator then reports them with their path.

#include <vector>

#include <QStringList>
#include <QWidget>

#include <nlohmann/json.hpp>

class QLabel;

namespace zoolab {

class MixerParamField;

class MixerForm : public QWidget {
  Q_OBJECT

 public:
  // `registry` (the whole registry JSON array) is used by mixer_list parameters (hybrid).
  explicit MixerForm(nlohmann::json spec, nlohmann::json registry = nlohmann::json::array(),
                     QWidget* parent = nullptr);

  QString mixerName() const;
  const nlohmann::json& spec() const { return m_spec; }

  nlohmann::json kwargs() const;
  // Resets every field, then shows `kwargs`. Returns the problems (also shown under the form): keys
  // that are not parameters of this mixer, values a field cannot show; those entries are kept as given.
  QStringList setKwargs(const nlohmann::json& kwargs);
  QStringList problems() const;

  MixerParamField* field(const QString& name) const;
  // The editor for a path relative to the kwargs, as the engine reports it: "num_heads",
  // "configs[1].kwargs.block_size" (into a hybrid's nested forms). Falls back to the closest enclosing
  // editor; nullptr when the path names nothing on this form.
  QWidget* editorForPath(const QString& path) const;

 Q_SIGNALS:
  void kwargsChanged();

 private:
  void onFieldChanged(MixerParamField* field);
  void updateProblems();

  nlohmann::json m_spec;
  std::vector<MixerParamField*> m_fields;
  nlohmann::json m_kept = nlohmann::json::object();  // entries kwargs() passes through unchanged
  QStringList m_problems;
  QLabel* m_problemLabel = nullptr;
  bool m_loading = false;
};

}  // namespace zoolab
