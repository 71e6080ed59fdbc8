#include "app/gui/launch_cost_estimator.h"

#include <algorithm>
#include <exception>

#include <QProcess>
#include <QTemporaryFile>
#include <QThread>
#include <QTimer>

#include "app/gui/engine_bridge.h"

namespace zoolab {

struct LaunchCostEstimator::FactsResult {
  ModelFacts facts;
  QString error;  // empty: facts hold
};

LaunchCostEstimator::LaunchCostEstimator(QString cli, QObject* parent)
    : QObject(parent), m_cli(std::move(cli)) {
  m_debounce = new QTimer(this);
  m_debounce->setSingleShot(true);
  m_debounce->setInterval(700);
  connect(m_debounce, &QTimer::timeout, this, &LaunchCostEstimator::startFacts);
  m_benchTimeout = new QTimer(this);
  m_benchTimeout->setSingleShot(true);
}

LaunchCostEstimator::~LaunchCostEstimator() {
  if (m_bench) {
    m_bench->disconnect(this);
    m_bench->kill();
    m_bench->waitForFinished(2000);  // the window is closing: nothing is left to block
  }
  // A model build cannot be interrupted; it takes seconds at most, and its thread must not outlive us.
  if (m_thread) {
    m_thread->wait();
  }
}

void LaunchCostEstimator::setDebounceMs(int ms) {
  m_debounce->setInterval(ms);
}

void LaunchCostEstimator::setBenchSteps(int steps) {
  m_benchSteps = std::max(1, steps);
}

void LaunchCostEstimator::setBenchThreads(std::function<int()> threads) {
  m_benchThreads = std::move(threads);
}

void LaunchCostEstimator::setBenchTimeoutS(int seconds) {
  m_benchTimeoutMs = std::max(1, seconds) * 1000;
}

void LaunchCostEstimator::setConfig(const nlohmann::json& config) {
  m_config = config;
  if (!m_active) {
    m_dirty = true;
    return;
  }
  m_dirty = false;
  ++m_generation;
  stopBench(true);  // timing an older configuration is wasted work (and CPU the new one needs)
  m_cost = LaunchCost();
  m_cost.state = LaunchCost::State::Estimating;
  publish();
  m_debounce->start();
}

void LaunchCostEstimator::setActive(bool active) {
  if (active == m_active)
    return;
  m_active = active;
  if (!active) {
    // Stop timing for a tab nobody looks at; estimate again when it is shown.
    if (m_bench || m_debounce->isActive() || m_thread) {
      stopBench(true);
      m_debounce->stop();
      ++m_generation;  // a model still being built is dropped
      m_dirty = true;
    }
    return;
  }
  if (m_dirty)
    setConfig(m_config);
}

void LaunchCostEstimator::startFacts() {
  if (m_thread) {
    return;  // onFactsDone starts the newest configuration when this one is built
  }
  const int generation = m_generation;
  const nlohmann::json config = m_config;
  auto result = std::make_shared<FactsResult>();
  m_thread = QThread::create([config, result] {
    try {
      result->facts = modelFacts(config);
    } catch (const std::exception& error) {
      result->error = QString::fromUtf8(error.what());
      if (result->error.isEmpty())
        result->error = QStringLiteral("the model cannot be built");
    }
  });
  connect(m_thread, &QThread::finished, this,
          [this, generation, result] { onFactsDone(generation, result); });
  m_thread->start(QThread::LowPriority);
}

void LaunchCostEstimator::onFactsDone(int generation, std::shared_ptr<FactsResult> result) {
  m_thread->wait();
  delete m_thread;
  m_thread = nullptr;
  if (generation != m_generation) {
    // Stale: the configuration changed while this model was built.
    if (m_active && !m_dirty && !m_debounce->isActive())
      startFacts();
    return;
  }
  if (!result->error.isEmpty()) {
    m_cost.state = LaunchCost::State::Failed;
    m_cost.error = result->error;
    publish();
    return;
  }
  const ModelFacts& facts = result->facts;
  m_cost.hasModel = true;
  m_cost.numParameters = facts.numParameters;
  m_cost.stateBytes = facts.stateBytes;
  m_cost.stateLength = facts.stateLength;
  m_cost.maxEpochs = facts.maxEpochs;
  if (facts.textTask) {
    m_cost.state = LaunchCost::State::Done;
    m_cost.timeNote = tr("time not estimated for text runs (train prints tokens/s as it goes)");
  } else if (m_cli.isEmpty()) {
    m_cost.state = LaunchCost::State::Done;
    m_cost.timeNote = tr("time not estimated: zoolab-cli was not found");
  } else if (facts.epochTokens <= 0) {
    m_cost.state = LaunchCost::State::Done;
    m_cost.timeNote = tr("time not estimated: no training examples");
  } else {
    startBench(generation, facts.epochTokens);
  }
  publish();
}

void LaunchCostEstimator::startBench(int generation, int64_t epochTokens) {
  m_benchConfig = std::make_unique<QTemporaryFile>();
  if (!m_benchConfig->open() || m_benchConfig->write(QByteArray::fromStdString(m_config.dump())) < 0 ||
      !m_benchConfig->flush()) {
    m_cost.state = LaunchCost::State::Done;
    m_cost.timeNote =
        tr("time not estimated: cannot write a temporary file (%1)").arg(m_benchConfig->errorString());
    return;
  }
  m_bench = new QProcess(this);
  m_bench->setProgram(m_cli);
  QStringList arguments{QStringLiteral("bench"),   QStringLiteral("--config"),    m_benchConfig->fileName(),
                        QStringLiteral("--steps"), QString::number(m_benchSteps), QStringLiteral("--warmup"),
                        QStringLiteral("1")};
  if (const int threads = m_benchThreads ? m_benchThreads() : 0; threads > 0) {
    arguments << QStringLiteral("--threads") << QString::number(threads);
  }
  m_bench->setArguments(arguments);
  QProcess* process = m_bench;
  connect(process, &QProcess::finished, this, [this, generation, epochTokens, process] {
    if (process == m_bench)
      onBenchFinished(generation, epochTokens);
  });
  connect(process, &QProcess::errorOccurred, this,
          [this, generation, epochTokens, process](QProcess::ProcessError e) {
            if (e == QProcess::FailedToStart && process == m_bench)
              onBenchFinished(generation, epochTokens);
          });
  m_benchTimeout->disconnect();
  m_benchTimeout->setInterval(m_benchTimeoutMs);
  connect(m_benchTimeout, &QTimer::timeout, this, [this, generation] {
    if (generation != m_generation || !m_bench)
      return;
    stopBench(false);
    m_cost.state = LaunchCost::State::Done;
    m_cost.timeNote = tr("time not estimated: %1 training steps took over %2 s here, so an epoch takes long")
                          .arg(m_benchSteps + 1)
                          .arg(m_benchTimeoutMs / 1000);
    publish();
  });
  m_benchTimeout->start();
  m_bench->start();
}

void LaunchCostEstimator::onBenchFinished(int generation, int64_t epochTokens) {
  m_benchTimeout->stop();
  QProcess* process = m_bench;
  m_bench = nullptr;
  m_benchConfig.reset();
  process->deleteLater();
  if (generation != m_generation) {
    return;
  }
  m_cost.state = LaunchCost::State::Done;
  const QString out = QString::fromUtf8(process->readAllStandardOutput()).trimmed();
  const QString err = QString::fromUtf8(process->readAllStandardError()).trimmed();
  nlohmann::json result;
  if (process->error() != QProcess::FailedToStart && process->exitStatus() == QProcess::NormalExit &&
      process->exitCode() == 0) {
    const QString last = out.section(QLatin1Char('\n'), -1);
    result = nlohmann::json::parse(last.toStdString(), nullptr, false);
  }
  const double examplesPerSecond = result.is_object() ? result.value("train_examples_per_s", 0.0) : 0.0;
  const double seqLen = result.is_object() ? result.value("seq_len", 0.0) : 0.0;
  if (examplesPerSecond > 0.0 && seqLen > 0.0) {
    // Tokens per second carry over to segments of other lengths better than examples per second.
    m_cost.hasTime = true;
    m_cost.examplesPerSecond = examplesPerSecond;
    m_cost.secondsPerEpoch = static_cast<double>(epochTokens) / (examplesPerSecond * seqLen);
  } else {
    QString why = process->error() == QProcess::FailedToStart ? process->errorString()
                                                              : err.section(QLatin1Char('\n'), -1);
    if (why.isEmpty())
      why = tr("zoolab-cli bench printed no timing");
    m_cost.timeNote = tr("time not estimated: %1").arg(why);
  }
  publish();
}

void LaunchCostEstimator::stopBench(bool stale) {
  m_benchTimeout->stop();
  if (!m_bench)
    return;
  QProcess* process = m_bench;
  m_bench = nullptr;  // its finished() is ignored from now on
  if (stale)
    ++m_cancelledBenches;
  process->disconnect(this);
  // Killed, and deleted once it has exited: waiting for it here would block the window.
  process->setParent(nullptr);
  connect(process, &QProcess::finished, process, &QObject::deleteLater);
  process->kill();
  m_benchConfig.reset();
}

void LaunchCostEstimator::publish() {
  Q_EMIT costChanged(m_cost);
}

}  // namespace zoolab
