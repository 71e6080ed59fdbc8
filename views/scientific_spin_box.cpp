#include "views/scientific_spin_box.h"

#include <cfloat>
#include <cmath>

#include <QMetaObject>
#include <QToolTip>

namespace zoolab {

namespace {

// Pasted text often carries the typographic minus (U+2212); it means the ASCII one.
QString asciiMinus(QString text) {
  return text.replace(QChar(0x2212), QLatin1Char('-'));
}

}  // namespace

ScientificSpinBox::ScientificSpinBox(QWidget* parent) : QDoubleSpinBox(parent) {
  // QDoubleSpinBox rounds every value to decimals(); the maximum keeps doubles intact.
  setDecimals(DBL_MAX_10_EXP + DBL_DIG);
  setRange(-1e300, 1e300);
  setSingleStep(0.1);
}

QString ScientificSpinBox::textFromValue(double value) const {
  // -0 reads as 0: the sign of a zero means nothing in a configuration.
  return QString::number(value == 0.0 ? 0.0 : value, 'g', 12);
}

double ScientificSpinBox::valueFromText(const QString& text) const {
  const double v = asciiMinus(text.trimmed()).toDouble();
  return v == 0.0 ? 0.0 : v;
}

QValidator::State ScientificSpinBox::validate(QString& text, int& /*pos*/) const {
  const QString t = asciiMinus(text.trimmed());
  if (t.isEmpty())
    return QValidator::Intermediate;
  if (!specialValueText().isEmpty() && t == specialValueText())
    return QValidator::Acceptable;
  // No number that starts with a minus sign fits a range from zero up ("-0" would be taken as 0 while
  // the box shows "-0.5"): refuse the sign rather than show a value the form does not hold.
  if (minimum() >= 0.0 && t.startsWith(QLatin1Char('-'))) {
    refuse(tr("A negative number cannot be entered here: the smallest value is %1.")
               .arg(textFromValue(minimum())));
    return QValidator::Invalid;
  }
  bool ok = false;
  const double v = t.toDouble(&ok);
  // Above a positive maximum, more digits only make it larger: the box would show it and keep the old
  // value. (An exponent could bring it back, "5000e-3", but that is typed as 5.)
  if (ok && v > maximum() && maximum() > 0.0 && !t.contains(QLatin1Char('e'), Qt::CaseInsensitive)) {
    refuse(tr("%1 is above the largest value here, %2.").arg(t, textFromValue(maximum())));
    return QValidator::Invalid;
  }
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

void ScientificSpinBox::refuse(const QString& why) const {
  m_refusal = why;
  auto* self = const_cast<ScientificSpinBox*>(this);
  // validate() runs inside the line edit's key handling: tell the user after it.
  QMetaObject::invokeMethod(
      self,
      [self, why] {
        QToolTip::showText(self->mapToGlobal(QPoint(0, self->height())), why, self);
        Q_EMIT self->inputRefused(why);
      },
      Qt::QueuedConnection);
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
