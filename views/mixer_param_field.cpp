#include "views/mixer_param_field.h"

#include <climits>
#include <cmath>

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QSpinBox>
#include <QToolButton>

#include "views/mixer_list_editor.h"
#include "views/scientific_spin_box.h"

namespace zoolab {

namespace {

using nlohmann::json;

int boundOr(const json& param, const char* key, int fallback) {
  if (!param.contains(key) || !param[key].is_number())
    return fallback;
  const double v = param[key].get<double>();
  return v <= INT_MIN ? INT_MIN : v >= INT_MAX ? INT_MAX : static_cast<int>(std::lround(v));
}

QString jsonText(const json& value) {
  return value.is_string() ? QString::fromStdString(value.get<std::string>())
                           : QString::fromStdString(value.dump());
}

// "3" -> 3, "3, -1" -> [3, -1], "" -> null; anything else is returned as the text itself.
json parseIntList(const QString& text) {
  const QString t = text.trimmed();
  if (t.isEmpty())
    return json();
  json list = json::array();
  for (const QString& part : t.split(QLatin1Char(','))) {
    bool ok = false;
    const int v = part.trimmed().toInt(&ok);
    if (!ok)
      return t.toStdString();
    list.push_back(v);
  }
  return list.size() == 1 ? list[0] : list;
}

QString intListText(const json& value) {
  if (value.is_number_integer())
    return QString::number(value.get<qlonglong>());
  QStringList parts;
  for (const auto& v : value)
    parts << QString::number(v.get<qlonglong>());
  return parts.join(QStringLiteral(", "));
}

}  // namespace

const nlohmann::json* findMixerSpec(const nlohmann::json& registry, const std::string& name) {
  if (!registry.is_array())
    return nullptr;
  for (const auto& spec : registry) {
    if (spec.is_object() && spec.value("name", std::string()) == name)
      return &spec;
  }
  return nullptr;
}

nlohmann::json mixerKwargsWithDefaults(const nlohmann::json& spec, const nlohmann::json& kwargs) {
  json out = kwargs.is_object() ? kwargs : json::object();
  for (const auto& p : spec.value("params", json::array())) {
    const std::string name = p.value("name", std::string());
    if (!out.contains(name))
      out[name] = p.value("default", json());
  }
  return out;
}

MixerParamField::MixerParamField(nlohmann::json param, const nlohmann::json& registry, QWidget* parent)
    : QWidget(parent), m_param(std::move(param)) {
  m_type = QString::fromStdString(m_param.value("type", std::string()));
  const json def = m_param.value("default", json());
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);

  if (m_type == QLatin1String("int")) {
    auto* spin = new QSpinBox(this);
    int lo = boundOr(m_param, "min", INT_MIN + 1);
    if (def.is_null()) {
      // The lowest value stands for "not set": the mixer then derives it (e.g. l_max from the data).
      lo -= 1;
      spin->setSpecialValueText(tr("default (automatic)"));
    }
    spin->setRange(lo, boundOr(m_param, "max", INT_MAX));
    connect(spin, qOverload<int>(&QSpinBox::valueChanged), this, &MixerParamField::onEdited);
    m_editor = spin;
  } else if (m_type == QLatin1String("float")) {
    auto* spin = new ScientificSpinBox(this);
    double lo = m_param.contains("min") ? m_param["min"].get<double>() : -1e300;
    const double hi = m_param.contains("max") ? m_param["max"].get<double>() : 1e300;
    if (def.is_null()) {
      lo -= 1.0;
      spin->setSpecialValueText(tr("default (automatic)"));
    }
    spin->setRange(lo, hi);
    if (hi - lo <= 1.0)
      spin->setSingleStep(0.05);
    connect(spin, qOverload<double>(&QDoubleSpinBox::valueChanged), this, &MixerParamField::onEdited);
    m_editor = spin;
  } else if (m_type == QLatin1String("bool")) {
    auto* box = new QCheckBox(this);
    connect(box, &QCheckBox::toggled, this, &MixerParamField::onEdited);
    m_editor = box;
  } else if (m_type == QLatin1String("string") && m_param.contains("choices")) {
    auto* combo = new QComboBox(this);
    for (const auto& c : m_param["choices"])
      combo->addItem(jsonText(c));
    connect(combo, qOverload<int>(&QComboBox::currentIndexChanged), this, &MixerParamField::onEdited);
    m_editor = combo;
  } else if (m_type == QLatin1String("mixer_list")) {
    auto* list = new MixerListEditor(registry, this);
    connect(list, &MixerListEditor::changed, this, &MixerParamField::onEdited);
    m_editor = list;
  } else {
    // string, int_or_int_list ("3" or "3, -1"), and any type this form does not know (a JSON literal).
    auto* edit = new QLineEdit(this);
    if (m_type == QLatin1String("int_or_int_list"))
      edit->setPlaceholderText(tr("an integer, or one per layer: 3, -1"));
    connect(edit, &QLineEdit::textChanged, this, &MixerParamField::onEdited);
    m_editor = edit;
  }
  // A check box keeps its own size: stretched, most of it would not react to clicks.
  const bool box = qobject_cast<QCheckBox*>(m_editor) != nullptr;
  layout->addWidget(m_editor, box ? 0 : 1);
  if (box)
    layout->addStretch(1);

  m_reset = new QToolButton(this);
  m_reset->setText(QStringLiteral("\u21BA"));
  m_reset->setToolTip(tr("Reset to the default (%1): the key is left out of kwargs").arg(jsonText(def)));
  connect(m_reset, &QToolButton::clicked, this, &MixerParamField::resetToDefault);
  layout->addWidget(m_reset, 0, Qt::AlignTop);

  QString tip = QString::fromStdString(m_param.value("doc", std::string()));
  tip += (tip.isEmpty() ? QString() : QStringLiteral("\n")) + tr("Default: %1").arg(jsonText(def));
  m_editor->setToolTip(tip);
  setToolTip(tip);

  m_loading = true;
  resetToDefault();
  m_loading = false;
  updateResetButton();
}

QString MixerParamField::name() const {
  return QString::fromStdString(m_param.value("name", std::string()));
}

MixerListEditor* MixerParamField::listEditor() const {
  return qobject_cast<MixerListEditor*>(m_editor);
}

nlohmann::json MixerParamField::value() const {
  const json def = m_param.value("default", json());
  if (auto* spin = qobject_cast<QSpinBox*>(m_editor)) {
    if (def.is_null() && spin->value() == spin->minimum())
      return json();
    return spin->value();
  }
  if (auto* spin = qobject_cast<QDoubleSpinBox*>(m_editor)) {
    if (def.is_null() && spin->value() == spin->minimum())
      return json();
    return spin->value();
  }
  if (auto* box = qobject_cast<QCheckBox*>(m_editor))
    return box->isChecked();
  if (auto* combo = qobject_cast<QComboBox*>(m_editor))
    return combo->currentText().toStdString();
  if (auto* list = listEditor())
    return list->value();
  auto* edit = qobject_cast<QLineEdit*>(m_editor);
  if (m_type == QLatin1String("int_or_int_list")) {
    const json v = parseIntList(edit->text());
    return v.is_null() ? def : v;
  }
  if (m_type == QLatin1String("string"))
    return edit->text().toStdString();
  const std::string text = edit->text().trimmed().toStdString();
  if (text.empty())
    return def;
  const json parsed = json::parse(text, nullptr, false);
  return parsed.is_discarded() ? json(text) : parsed;
}

bool MixerParamField::isDefault() const {
  const json def = m_param.value("default", json());
  const json v = value();
  if (auto* list = listEditor()) {
    if (!v.is_array() || !def.is_array() || v.size() != def.size())
      return false;
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string name = v[i].value("name", std::string());
      if (name != def[i].value("name", std::string()))
        return false;
      const json* spec = findMixerSpec(list->registry(), name);
      const json empty = json::object();
      const json& spec_ref = spec ? *spec : empty;
      if (mixerKwargsWithDefaults(spec_ref, v[i].value("kwargs", json::object())) !=
          mixerKwargsWithDefaults(spec_ref, def[i].value("kwargs", json::object())))
        return false;
    }
    return true;
  }
  if (v.is_number() && def.is_number())
    return v.get<double>() == def.get<double>();
  return v == def;
}

bool MixerParamField::setValue(const nlohmann::json& value) {
  const json def = m_param.value("default", json());
  bool ok = false;
  const bool was_loading = m_loading;
  m_loading = true;
  if (auto* spin = qobject_cast<QSpinBox*>(m_editor)) {
    if (value.is_null() && def.is_null()) {
      spin->setValue(spin->minimum());
      ok = true;
    } else if (value.is_number_integer()) {
      const long long v = value.get<long long>();
      const int lo = spin->minimum() + (def.is_null() ? 1 : 0);
      ok = v >= lo && v <= spin->maximum();
      if (ok)
        spin->setValue(static_cast<int>(v));
    }
  } else if (auto* spin = qobject_cast<QDoubleSpinBox*>(m_editor)) {
    if (value.is_null() && def.is_null()) {
      spin->setValue(spin->minimum());
      ok = true;
    } else if (value.is_number()) {
      const double v = value.get<double>();
      const double lo = spin->minimum() + (def.is_null() ? 1.0 : 0.0);
      ok = v >= lo && v <= spin->maximum();
      if (ok)
        spin->setValue(v);
    }
  } else if (auto* box = qobject_cast<QCheckBox*>(m_editor)) {
    ok = value.is_boolean();
    if (ok)
      box->setChecked(value.get<bool>());
  } else if (auto* combo = qobject_cast<QComboBox*>(m_editor)) {
    const int index =
        value.is_string() ? combo->findText(QString::fromStdString(value.get<std::string>())) : -1;
    ok = index >= 0;
    if (ok)
      combo->setCurrentIndex(index);
  } else if (auto* list = listEditor()) {
    ok = list->setValue(value);
  } else if (auto* edit = qobject_cast<QLineEdit*>(m_editor)) {
    if (m_type == QLatin1String("int_or_int_list")) {
      bool ints = value.is_number_integer() || (value.is_array() && !value.empty());
      if (value.is_array()) {
        for (const auto& v : value)
          ints = ints && v.is_number_integer();
      }
      ok = ints;
      if (ok)
        edit->setText(intListText(value));
    } else if (m_type == QLatin1String("string")) {
      ok = value.is_string();
      if (ok)
        edit->setText(QString::fromStdString(value.get<std::string>()));
    } else {
      ok = true;
      edit->setText(QString::fromStdString(value.dump()));
    }
  }
  m_loading = was_loading;
  updateResetButton();
  if (ok && !m_loading)
    Q_EMIT changed();
  return ok;
}

void MixerParamField::resetToDefault() {
  const json def = m_param.value("default", json());
  const bool was_loading = m_loading;
  m_loading = true;
  if (!setValue(def)) {
    // A default the editor cannot show (e.g. a string without choices that is null): clear it.
    if (auto* edit = qobject_cast<QLineEdit*>(m_editor))
      edit->clear();
  }
  m_loading = was_loading;
  updateResetButton();
  if (!m_loading)
    Q_EMIT changed();
}

void MixerParamField::onEdited() {
  if (m_loading)
    return;
  updateResetButton();
  Q_EMIT changed();
}

void MixerParamField::updateResetButton() {
  if (m_reset)
    m_reset->setEnabled(!isDefault());
}

}  // namespace zoolab
