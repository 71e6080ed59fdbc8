#pragma once

// What launching the configuration on the Configure tab will cost, shown beside Launch: the model's
// parameter count, its recurrent state (bytes, and the floats they hold) and a time per epoch timed on
// this machine. The view only shows a LaunchCost; app/ computes it off the GUI thread (the model is
// built through the engine, and `zoolab-cli bench` times a few training steps).

#include <cstdint>

#include <QLabel>
#include <QString>

namespace zoolab {

struct LaunchCost {
  enum class State {
    Idle,        // no configuration yet
    Estimating,  // the model is being built or its steps timed
    Done,        // every part that can be known is known
    Failed,      // the model cannot be built: `error` says why
  };
  State state = State::Idle;
  bool hasModel = false;  // numParameters and stateBytes are known
  int64_t numParameters = 0;
  int64_t stateBytes = 0;  // 4 bytes a float, as training records it
  int64_t stateLength = 0;
  bool hasTime = false;  // secondsPerEpoch is known
  double secondsPerEpoch = 0.0;
  double examplesPerSecond = 0.0;
  int64_t maxEpochs = 0;
  QString timeNote;  // why there is no time (a text run, no zoolab-cli, the bench failed), else ""
  QString error;     // State::Failed
};

// "1.23 M", "812 k", "950": parameter counts.
QString costCountText(int64_t count);
// "64 KiB", "1.5 MiB", "512 B".
QString costBytesText(int64_t bytes);
// "42 s", "3.5 min", "2.1 h".
QString costDurationText(double seconds);

class LaunchCostView : public QLabel {
  Q_OBJECT

 public:
  explicit LaunchCostView(QWidget* parent = nullptr);

  void setCost(const LaunchCost& cost);
  const LaunchCost& cost() const { return m_cost; }
  // The text shown for `cost` (plain text, one line; the tooltip explains each part).
  static QString describe(const LaunchCost& cost);

 private:
  LaunchCost m_cost;
};

}  // namespace zoolab
