#pragma once

// Estimates what launching a configuration costs (views/launch_cost_view.h LaunchCost) without blocking
// the GUI thread: the model is built on a background thread through engine_bridge (parameter count and
// recurrent state size, the numbers training records), then `zoolab-cli bench` times a few training
// steps of it in a child process, scaled to one epoch's training tokens. A new configuration restarts
// the estimate after a short debounce; the estimate of an older one is cancelled (the bench is killed,
// a model still being built is dropped when it finishes).

#include <functional>
#include <memory>

#include <QObject>
#include <QString>

#include <nlohmann/json.hpp>

#include "views/launch_cost_view.h"

class QProcess;
class QTemporaryFile;
class QThread;
class QTimer;

namespace zoolab {

class LaunchCostEstimator : public QObject {
  Q_OBJECT

 public:
  // `cli`: the zoolab-cli that times the steps; empty: no time estimate (and the view says why).
  explicit LaunchCostEstimator(QString cli, QObject* parent = nullptr);
  ~LaunchCostEstimator() override;

  // Milliseconds of quiet before estimating (default 700); steps `zoolab-cli bench` times (default 4).
  void setDebounceMs(int ms);
  void setBenchSteps(int steps);
  // The CPU threads the bench may use, asked at each bench (a training process's share of the cores, as
  // the worker would give it); 0 or unset: every core.
  void setBenchThreads(std::function<int()> threads);
  // Seconds the bench may take before it is stopped and reported as too slow (default 180).
  void setBenchTimeoutS(int seconds);

  // Estimates `config` after the debounce; an estimate under way for an older one is cancelled. While
  // inactive (the Configure tab is not shown) it only remembers the configuration.
  void setConfig(const nlohmann::json& config);
  // Inactive: a bench under way is stopped; active again: the remembered configuration is estimated if
  // it was not already.
  void setActive(bool active);
  bool isActive() const { return m_active; }
  const LaunchCost& cost() const { return m_cost; }
  // How many estimates were started, and how many benches were killed as stale (tests).
  int generation() const { return m_generation; }
  int cancelledBenches() const { return m_cancelledBenches; }

 Q_SIGNALS:
  void costChanged(const zoolab::LaunchCost& cost);

 private:
  struct FactsResult;
  void startFacts();
  void onFactsDone(int generation, std::shared_ptr<FactsResult> result);
  void startBench(int generation, int64_t epochTokens);
  void onBenchFinished(int generation, int64_t epochTokens);
  // Kills a running bench; `stale`: because the configuration changed (counted).
  void stopBench(bool stale);
  void publish();

  QString m_cli;
  nlohmann::json m_config;
  LaunchCost m_cost;
  int m_generation = 0;
  int m_cancelledBenches = 0;
  bool m_active = true;
  bool m_dirty = false;  // m_config's estimate is missing or was stopped
  int m_benchSteps = 4;
  std::function<int()> m_benchThreads;
  int m_benchTimeoutMs = 180000;
  QTimer* m_debounce = nullptr;
  QTimer* m_benchTimeout = nullptr;
  QThread* m_thread = nullptr;
  QProcess* m_bench = nullptr;
  std::unique_ptr<QTemporaryFile> m_benchConfig;
};

}  // namespace zoolab
