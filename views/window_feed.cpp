#include "views/window_feed.h"

#include <exception>

#include "engine/store/store.h"

namespace zoolab {

WindowFeed::WindowFeed(const QString& databasePath, QObject* parent)
    : QObject(parent), m_path(databasePath) {}

WindowFeed::~WindowFeed() = default;

void WindowFeed::load(const WindowRequest& request) {
  auto data = std::make_shared<WindowData>();
  data->databasePath = m_path;
  data->runId = request.runId;
  try {
    if (!m_store) {
      m_store = std::make_unique<Store>(m_path.toStdString());
    }
    if (request.runId != 0) {
      data->latestCheckpoint = m_store->latest_checkpoint(request.runId);
    }
    data->liveWorker = m_store->live_worker();
  } catch (const std::exception& error) {
    // The store's messages name the file. The next load opens it afresh.
    m_store.reset();
    data->error = QString::fromUtf8(error.what());
  }
  Q_EMIT loaded(std::move(data));
}

}  // namespace zoolab
