#pragma once

// A QDoubleSpinBox that shows and accepts numbers in the shortest form ("0.001", "1e-12", "3e-05"):
// learning rates and epsilons span many orders of magnitude, and QDoubleSpinBox's fixed decimals
// would show 1e-12 as 0.000000.

#include <QDoubleSpinBox>

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
};

}  // namespace zoolab
