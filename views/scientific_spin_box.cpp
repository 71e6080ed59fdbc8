#include "views/scientific_spin_box.h"

#include <cfloat>
#include <cmath>

namespace zoolab {

ScientificSpinBox::ScientificSpinBox(QWidget* parent) : QDoubleSpinBox(parent) {
  // QDoubleSpinBox rounds every value to decimals(); the maximum keeps doubles intact.
  setDecimals(DBL_MAX_10_EXP + DBL_DIG);
  setRange(-1e300, 1e300);
  setSingleStep(0.1);
}

QString ScientificSpinBox::textFromValue(double value) const {
  return QString::number(value, 'g', 12);
}

double ScientificSpinBox::valueFromText(const QString& text) const {
  return text.trimmed().toDouble();
}

QValidator::State ScientificSpinBox::validate(QString& text, int& /*pos*/) const {
  const QString t = text.trimmed();
  if (t.isEmpty())
    return QValidator::Intermediate;
  bool ok = false;
  const double v = t.toDouble(&ok);
  if (ok)
    return v >= minimum() && v <= maximum() ? QValidator::Acceptable : QValidator::Intermediate;
  // Partial numbers while typing: "-", "1e", "1e-", "2.".
  static const QString kPartialChars = QStringLiteral("0123456789+-.eE");
  for (QChar c : t) {
    if (!kPartialChars.contains(c))
      return QValidator::Invalid;
  }
  return QValidator::Intermediate;
}

void ScientificSpinBox::stepBy(int steps) {
  const double v = value();
  if (v == 0.0) {
    setValue(v + steps * singleStep());
    return;
  }
  const double step = std::pow(10.0, std::floor(std::log10(std::abs(v)))) * 0.1;
  setValue(v + steps * step);
}

}  // namespace zoolab
