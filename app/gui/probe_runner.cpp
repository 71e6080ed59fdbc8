#include "app/gui/probe_runner.h"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <utility>

#include <QMetaObject>

#include "engine/config/run_config.h"
#include "engine/store/store.h"
#include "engine/train/probe.h"

namespace zoolab {

// Lives on the runner's thread and is only touched there: the Probe (not thread-safe) and the database
// connection it was loaded from.
class ProbeWorker : public QObject {
 public:
  QString databasePath;
  std::unique_ptr<Store> store;
  std::unique_ptr<Probe> probe;
};

namespace {

ProbeModelInfo modelInfo(const Probe& probe, qint64 runId) {
  const RunConfig& config = probe.config();
  ProbeModelInfo info;
  info.runId = runId;
  info.epoch = probe.epoch();
  info.vocabSize = effective_vocab_size(config);
  info.maxLength = max_seq_len(config.data);
  if (config.model.max_position_embeddings > 0) {
    info.maxLength = std::min(info.maxLength, config.model.max_position_embeddings);
  }
  for (const SegmentConfig& segment : config.data.test) {
    QString text =
        QStringLiteral("%1, L=%2").arg(QString::fromStdString(segment.task)).arg(segment.input_seq_len);
    if (segment.params.contains("num_kv_pairs")) {
      text += QStringLiteral(", %1 kv pairs").arg(segment.integer("num_kv_pairs"));
    }
    if (segment.params.contains("num_passes") && segment.integer("num_passes") > 1) {
      text += QStringLiteral(", %1 passes").arg(segment.integer("num_passes"));
    }
    info.segments.append(text);
  }
  return info;
}

}  // namespace

ProbeRunner::ProbeRunner(QObject* parent) : QObject(parent), m_worker(new ProbeWorker) {
  m_thread.setObjectName(QStringLiteral("zoolab-probe"));
  m_worker->moveToThread(&m_thread);
  // The Probe and the store are destroyed on the thread that used them, once it stops.
  connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
  m_thread.start();
}

ProbeRunner::~ProbeRunner() {
  // Nothing new is computed: queued run requests are stale from now on.
  m_latestRun->store(~quint64{0});
  m_thread.quit();
  m_thread.wait();
}

void ProbeRunner::setDatabasePath(const QString& path) {
  if (path == m_databasePath) {
    return;
  }
  m_databasePath = path;
  // Answers about the other database's runs are dropped; the worker reopens on the next load.
  ++m_loadGeneration;
  m_latestRun->store(++m_nextRun);
  m_runId = 0;
}

void ProbeRunner::attach(ProbeView* view) {
  connect(view, &ProbeView::loadRequested, this, &ProbeRunner::load);
  connect(view, &ProbeView::generateRequested, this, &ProbeRunner::generate);
  connect(view, &ProbeView::probeRequested, this, &ProbeRunner::run);
  connect(this, &ProbeRunner::loaded, view, &ProbeView::setModel);
  connect(this, &ProbeRunner::loadFailed, view, &ProbeView::setLoadError);
  connect(this, &ProbeRunner::generated, view, &ProbeView::setExample);
  connect(this, &ProbeRunner::resultReady, view, &ProbeView::setResult);
  connect(this, &ProbeRunner::runFailed, view, &ProbeView::setRunError);
}

void ProbeRunner::post(std::function<void(ProbeWorker&)> job) {
  ++m_pending;
  ProbeWorker* worker = m_worker;
  QMetaObject::invokeMethod(
      m_worker, [worker, job = std::move(job)] { job(*worker); }, Qt::QueuedConnection);
}

void ProbeRunner::finishOne() {
  m_pending = std::max(0, m_pending - 1);
}

void ProbeRunner::load(qint64 runId) {
  m_runId = runId;
  const quint64 generation = ++m_loadGeneration;
  m_latestRun->store(++m_nextRun);  // runs queued against the previous model are stale
  const QString path = m_databasePath;
  post([this, generation, runId, path](ProbeWorker& worker) {
    ProbeModelInfo info;
    QString error;
    try {
      worker.probe.reset();  // frees the previous model before loading the next
      if (runId > 0) {
        if (path.isEmpty()) {
          throw std::runtime_error("no database is open");
        }
        if (!worker.store || worker.databasePath != path) {
          worker.store.reset();
          worker.store = std::make_unique<Store>(path.toStdString());
          worker.databasePath = path;
        }
        worker.probe = std::make_unique<Probe>(*worker.store, runId);
        info = modelInfo(*worker.probe, runId);
      }
    } catch (const std::exception& failure) {
      worker.probe.reset();
      error = QString::fromUtf8(failure.what());
    }
    QMetaObject::invokeMethod(
        this,
        [this, generation, runId, info, error] {
          finishOne();
          if (generation != m_loadGeneration || runId <= 0) {
            return;
          }
          if (error.isEmpty()) {
            Q_EMIT loaded(info);
          } else {
            Q_EMIT loadFailed(runId, error);
          }
        },
        Qt::QueuedConnection);
  });
}

void ProbeRunner::generate(qint64 segment, quint64 seed) {
  const quint64 generation = m_loadGeneration;
  post([this, generation, segment, seed](ProbeWorker& worker) {
    auto example = std::make_shared<std::pair<std::vector<int64_t>, std::vector<int64_t>>>();
    QString error;
    try {
      if (!worker.probe) {
        throw std::runtime_error("no checkpoint is loaded");
      }
      *example = worker.probe->generate(segment, seed);
    } catch (const std::exception& failure) {
      error = QString::fromUtf8(failure.what());
    }
    QMetaObject::invokeMethod(
        this,
        [this, generation, example, error] {
          finishOne();
          if (generation != m_loadGeneration) {
            return;
          }
          if (error.isEmpty()) {
            Q_EMIT generated(example->first, example->second);
          } else {
            Q_EMIT runFailed(error);
          }
        },
        Qt::QueuedConnection);
  });
}

void ProbeRunner::run(const std::vector<int64_t>& tokens, const std::vector<int64_t>& labels,
                      bool mixingMatrix) {
  const quint64 id = ++m_nextRun;
  m_latestRun->store(id);
  const quint64 generation = m_loadGeneration;
  const auto latest = m_latestRun;
  const auto computed = m_computed;
  const auto skipped = m_skipped;
  post([this, id, generation, latest, computed, skipped, tokens, labels, mixingMatrix](ProbeWorker& worker) {
    if (latest->load() != id) {
      // A newer request is queued behind this one: it alone is worth computing.
      ++*skipped;
      QMetaObject::invokeMethod(
          this, [this] { finishOne(); }, Qt::QueuedConnection);
      return;
    }
    auto result = std::make_shared<ProbeResult>();
    QString error;
    try {
      if (!worker.probe) {
        throw std::runtime_error("no checkpoint is loaded");
      }
      *result = worker.probe->run(tokens, labels, mixingMatrix);
    } catch (const std::exception& failure) {
      error = QString::fromUtf8(failure.what());
    }
    ++*computed;
    QMetaObject::invokeMethod(
        this,
        [this, id, generation, result, error] {
          finishOne();
          // An answer to an older text, or for a model since replaced, is not shown.
          if (generation != m_loadGeneration || id != m_latestRun->load()) {
            return;
          }
          if (error.isEmpty()) {
            Q_EMIT resultReady(*result);
          } else {
            Q_EMIT runFailed(error);
          }
        },
        Qt::QueuedConnection);
  });
}

}  // namespace zoolab
