#pragma once

// A QDoubleSpinBox that shows and accepts numbers in the shortest form ("0.001", "1e-12", "3e-05"):
// learning rates and epsilons span many orders of magnitude, and QDoubleSpinBox's fixed decimals
// would show 1e-12 as 0.000000.
//
// A box whose minimum is not negative refuses a minus sign as it is typed and says why (inputRefused,
// and a tooltip at the box): QDoubleSpinBox would otherwise take "-0" as the value -0 and keep it
// while "-0.5" is shown, so the box and the configuration (and the validator's "got -0.0") disagreed.
// Likewise a digit that takes the number above a positive maximum is refused.

#include <QDoubleSpinBox>
#include <QString>

namespace zoolab {

class ScientificSpinBox : public QDoubleSpinBox {
  Q_OBJECT

 public:
  explicit ScientificSpinBox(QWidget* parent = nullptr);

  QString textFromValue(double value) const override;
  double valueFromText(const QString& text) const override;
  QValidator::State validate(QString& text, int& pos) const override;
  // Steps by a tenth of the value's order of magnitude (0.001 -> 0.0011), or by singleStep() at 0.
  void stepBy(int steps) override;

  // Why the latest refused keystroke was refused ("" while none was).
  QString lastRefusal() const { return m_refusal; }

 Q_SIGNALS:
  // A typed character was refused; `why` says what the box accepts.
  void inputRefused(const QString& why);

 private:
  void refuse(const QString& why) const;

  mutable QString m_refusal;
};

}  // namespace zoolab
