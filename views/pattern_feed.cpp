#include "views/pattern_feed.h"

#include <algorithm>
#include <exception>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/config/run_config.h"
#include "engine/inspect/inspection.h"
#include "engine/store/store.h"

namespace zoolab {

PatternFeed::PatternFeed(const QString& databasePath, QObject* parent)
    : QObject(parent), m_path(databasePath) {}

PatternFeed::~PatternFeed() = default;

void PatternFeed::load(const PatternRequest& request) {
  auto data = std::make_shared<PatternData>();
  data->databasePath = m_path;
  data->runId = request.runId;
  try {
    if (!m_store) {
      m_store = std::make_unique<Store>(m_path.toStdString());
    }
    data->steps = m_store->pattern_steps(request.runId);
  } catch (const std::exception& error) {
    // The store's messages name the file. The next load opens it afresh.
    m_store.reset();
    data->error =
        tr("Cannot read the patterns of run %1: %2").arg(request.runId).arg(QString::fromUtf8(error.what()));
    Q_EMIT loaded(std::move(data));
    return;
  }
  if (data->steps.empty()) {
    Q_EMIT loaded(std::move(data));
    return;
  }
  const auto stored = [&](qint64 step) {
    return std::find(data->steps.begin(), data->steps.end(), step) != data->steps.end();
  };
  data->step = stored(request.wantedStep)  ? request.wantedStep
               : stored(request.shownStep) ? request.shownStep
                                           : data->steps.back();
  try {
    data->patterns = m_store->patterns(request.runId, data->step);
  } catch (const std::exception& error) {
    data->error = tr("Cannot read the patterns of run %1 at step %2: %3")
                      .arg(request.runId)
                      .arg(data->step)
                      .arg(QString::fromUtf8(error.what()));
    Q_EMIT loaded(std::move(data));
    return;
  }
  try {
    if (m_splitRun != request.runId || !m_split) {
      m_split.reset();
      m_splitRun = 0;
      const auto run = m_store->find_run(request.runId);
      if (!run) {
        throw std::runtime_error("no such run in " + m_store->path());
      }
      m_split = std::make_shared<const std::vector<TokenSegment>>(
          regenerate_test_split(parse_run_config(nlohmann::json::parse(run->config_json))));
      m_splitRun = request.runId;
    }
    data->split = m_split;
  } catch (const std::exception& error) {
    data->splitError = QString::fromUtf8(error.what());
  }
  Q_EMIT loaded(std::move(data));
}

}  // namespace zoolab
