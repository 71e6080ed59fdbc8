#include "views/mixer_form.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QRegularExpression>

#include "views/mixer_list_editor.h"
#include "views/mixer_param_field.h"

namespace zoolab {

using nlohmann::json;

MixerForm::MixerForm(nlohmann::json spec, nlohmann::json registry, QWidget* parent)
    : QWidget(parent), m_spec(std::move(spec)) {
  auto* layout = new QFormLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  const QString summary = QString::fromStdString(m_spec.value("summary", std::string()));
  if (!summary.isEmpty()) {
    auto* label = new QLabel(summary, this);
    label->setWordWrap(true);
    label->setEnabled(false);  // the palette's muted text
    layout->addRow(label);
  }
  for (const auto& param : m_spec.value("params", json::array())) {
    auto* field = new MixerParamField(param, registry, this);
    auto* label = new QLabel(field->name(), this);
    label->setToolTip(field->toolTip());
    layout->addRow(label, field);
    m_fields.push_back(field);
    connect(field, &MixerParamField::changed, this, [this, field] { onFieldChanged(field); });
  }
  if (m_fields.empty())
    layout->addRow(new QLabel(tr("No parameters."), this));
  m_problemLabel = new QLabel(this);
  m_problemLabel->setWordWrap(true);
  m_problemLabel->setStyleSheet(QStringLiteral("color: #b9770e;"));
  m_problemLabel->hide();
  layout->addRow(m_problemLabel);
}

QString MixerForm::mixerName() const {
  return QString::fromStdString(m_spec.value("name", std::string()));
}

nlohmann::json MixerForm::kwargs() const {
  json out = m_kept;
  for (auto* field : m_fields) {
    const std::string name = field->name().toStdString();
    if (out.contains(name))
      continue;  // a value the field could not show is passed through as given
    if (!field->isDefault())
      out[name] = field->value();
  }
  return out;
}

QStringList MixerForm::setKwargs(const nlohmann::json& kwargs) {
  m_loading = true;
  m_kept = json::object();
  m_problems.clear();
  for (auto* field : m_fields)
    field->resetToDefault();
  if (!kwargs.is_object()) {
    if (!kwargs.is_null())
      m_problems << tr("kwargs must be an object, got %1").arg(QString::fromStdString(kwargs.dump()));
  } else {
    for (auto it = kwargs.begin(); it != kwargs.end(); ++it) {
      MixerParamField* f = field(QString::fromStdString(it.key()));
      if (!f) {
        m_kept[it.key()] = it.value();
        m_problems << tr("%1: not a parameter of %2, kept as given")
                          .arg(QString::fromStdString(it.key()), mixerName());
      } else if (!f->setValue(it.value())) {
        m_kept[it.key()] = it.value();
        m_problems << tr("%1: %2 cannot be shown in this form, kept as given")
                          .arg(QString::fromStdString(it.key()), QString::fromStdString(it.value().dump()));
      }
    }
  }
  m_loading = false;
  updateProblems();
  return m_problems;
}

QStringList MixerForm::problems() const {
  return m_problems;
}

MixerParamField* MixerForm::field(const QString& name) const {
  for (auto* f : m_fields) {
    if (f->name() == name)
      return f;
  }
  return nullptr;
}

QWidget* MixerForm::editorForPath(const QString& path) const {
  // "configs[1].kwargs.block_size" -> field "configs", row 1, rest "block_size".
  static const QRegularExpression kPattern(
      QStringLiteral("^([^.\\[]+)(?:[.\\[](\\d+)\\]?(?:\\.kwargs\\.?(.*))?)?"));
  const auto match = kPattern.match(path);
  if (!match.hasMatch())
    return nullptr;
  MixerParamField* f = field(match.captured(1));
  if (!f)
    return nullptr;
  if (MixerListEditor* list = f->listEditor(); list && !match.captured(2).isEmpty()) {
    const int row = match.captured(2).toInt();
    if (row < list->rowCount()) {
      const QString rest = match.captured(3);
      if (QWidget* inner = rest.isEmpty() ? nullptr : list->form(row)->editorForPath(rest))
        return inner;
      return list->nameCombo(row);
    }
  }
  return f->editor();
}

void MixerForm::onFieldChanged(MixerParamField* field) {
  if (m_loading)
    return;
  // Once edited, the field's own value replaces a value kept as given.
  if (m_kept.erase(field->name().toStdString()) > 0) {
    m_problems = m_problems.filter(QRegularExpression(QStringLiteral("^(?!%1:)").arg(field->name())));
    updateProblems();
  }
  Q_EMIT kwargsChanged();
}

void MixerForm::updateProblems() {
  m_problemLabel->setText(m_problems.join(QLatin1Char('\n')));
  m_problemLabel->setVisible(!m_problems.isEmpty());
}

}  // namespace zoolab
