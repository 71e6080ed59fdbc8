#include "views/dashboard_feed.h"

#include <exception>
#include <map>
#include <set>
#include <string>

#include "engine/store/store.h"

namespace zoolab {

namespace {

// Dotted paths of the scalars of a configuration ("model.d_model", "data.train.0.input_seq_len").
void collectPaths(const nlohmann::json& value, const std::string& prefix,
                  std::map<std::string, std::set<std::string>>& values) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      collectPaths(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), values);
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      collectPaths(value[i], prefix + "." + std::to_string(i), values);
    }
  } else if (!prefix.empty()) {
    values[prefix].insert(value.dump());
  }
}

}  // namespace

DashboardFeed::DashboardFeed(const QString& databasePath, QObject* parent)
    : QObject(parent), m_path(databasePath) {}

DashboardFeed::~DashboardFeed() = default;

DashboardData DashboardFeed::read(const Store& store) {
  DashboardData data;
  data.runs = load_run_facts(store);
  data.sweeps = store.list_sweeps();

  std::set<std::string> keys{kDashboardDefaultMetric};
  std::map<std::string, std::set<std::string>> values;
  for (const RunFacts& run : data.runs) {
    for (const auto& entry : run.summaries) {
      keys.insert(entry.first);
    }
    collectPaths(run.config, std::string(), values);
  }
  for (const std::string& key : keys) {
    data.metricKeys.append(QString::fromStdString(key));
  }
  data.pivotFields = {QStringLiteral("mixer"), QStringLiteral("sweep"), QStringLiteral("status")};
  for (const auto& entry : values) {
    if (entry.second.size() > 1) {
      data.pivotFields.append(QString::fromStdString(entry.first));
    }
  }
  return data;
}

void DashboardFeed::load() {
  auto data = std::make_shared<DashboardData>();
  try {
    if (!m_store) {
      m_store = std::make_unique<Store>(m_path.toStdString());
    }
    *data = read(*m_store);
  } catch (const std::exception& error) {
    // The store's messages name the file. The next load opens it afresh.
    m_store.reset();
    *data = DashboardData();
    data->error = QString::fromUtf8(error.what());
  }
  data->databasePath = m_path;
  Q_EMIT loaded(std::move(data));
}

}  // namespace zoolab
