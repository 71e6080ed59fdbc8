#include "views/launch_cost_view.h"

#include <cmath>

namespace zoolab {

QString costCountText(int64_t count) {
  const double v = static_cast<double>(count);
  if (std::llabs(count) >= 1'000'000'000)
    return QString::number(v / 1e9, 'g', 3) + QStringLiteral(" G");
  if (std::llabs(count) >= 1'000'000)
    return QString::number(v / 1e6, 'g', 3) + QStringLiteral(" M");
  if (std::llabs(count) >= 10'000)
    return QString::number(v / 1e3, 'g', 3) + QStringLiteral(" k");
  return QString::number(count);
}

QString costBytesText(int64_t bytes) {
  const double v = static_cast<double>(bytes);
  if (bytes >= (int64_t(1) << 30))
    return QString::number(v / double(int64_t(1) << 30), 'g', 3) + QStringLiteral(" GiB");
  if (bytes >= (int64_t(1) << 20))
    return QString::number(v / double(int64_t(1) << 20), 'g', 3) + QStringLiteral(" MiB");
  if (bytes >= (int64_t(1) << 10))
    return QString::number(v / 1024.0, 'g', 3) + QStringLiteral(" KiB");
  return QString::number(bytes) + QStringLiteral(" B");
}

QString costDurationText(double seconds) {
  // Two significant digits at most, never in exponent form ("1e+02 min").
  const auto amount = [](double v) { return QString::number(v, 'f', v < 10.0 ? 1 : 0); };
  if (seconds < 1.0)
    return QString::number(seconds, 'f', 2) + QStringLiteral(" s");
  if (seconds < 120.0)
    return QString::number(std::round(seconds)) + QStringLiteral(" s");
  if (seconds < 2.0 * 3600.0)
    return amount(seconds / 60.0) + QStringLiteral(" min");
  if (seconds < 3.0 * 86400.0)
    return amount(seconds / 3600.0) + QStringLiteral(" h");
  return amount(seconds / 86400.0) + QStringLiteral(" days");
}

LaunchCostView::LaunchCostView(QWidget* parent) : QLabel(parent) {
  setObjectName(QStringLiteral("launchCost"));
  setTextInteractionFlags(Qt::TextSelectableByMouse);
  setWordWrap(true);
  setToolTip(
      tr("What launching this configuration costs. Parameters: trainable, the tied output head "
         "counted once. State: the recurrent state a mixer carries per sequence at the longest test "
         "length, in bytes (4 bytes a float), as the run will record it. Time: a few training "
         "steps of this model timed on this machine (zoolab-cli bench), scaled to one epoch's "
         "training tokens; evaluation comes on top."));
  setCost({});
}

void LaunchCostView::setCost(const LaunchCost& cost) {
  m_cost = cost;
  setText(describe(cost));
  // The palette's red for a configuration that cannot be built, muted text otherwise.
  setStyleSheet(cost.state == LaunchCost::State::Failed ? QStringLiteral("color: #c0392b;") : QString());
}

QString LaunchCostView::describe(const LaunchCost& cost) {
  if (cost.state == LaunchCost::State::Idle)
    return QString();
  if (cost.state == LaunchCost::State::Failed)
    return tr("Cost: no estimate (%1)").arg(cost.error);
  QStringList parts;
  if (cost.hasModel) {
    parts << tr("%1 parameters").arg(costCountText(cost.numParameters));
    parts << tr("state %1 (%2 floats) at %3 tokens")
                 .arg(costBytesText(cost.stateBytes), costCountText(cost.stateBytes / 4))
                 .arg(cost.stateLength);
  }
  if (cost.hasTime) {
    QString time = tr("≈ %1 per epoch").arg(costDurationText(cost.secondsPerEpoch));
    if (cost.maxEpochs > 1)
      time += tr(", ≤ %1 for %2 epochs")
                  .arg(costDurationText(cost.secondsPerEpoch * cost.maxEpochs))
                  .arg(cost.maxEpochs);
    parts << time;
  } else if (!cost.timeNote.isEmpty()) {
    parts << cost.timeNote;
  }
  if (cost.state == LaunchCost::State::Estimating)
    parts << tr("estimating…");
  return tr("Cost: %1").arg(parts.join(QStringLiteral(" · ")));
}

}  // namespace zoolab
