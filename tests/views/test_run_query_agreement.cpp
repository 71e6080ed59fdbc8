// The window's filter box and `zoolab-cli runs --where` keep the same runs: every query of
// tests/app/run_queries.txt, over the database of tests/app/run_queries.sql (which cli_run_query.sh checks
// through the CLI), through RunFilterProxyModel fed as the window feeds it and through the engine function
// the CLI calls (load_run_facts + RunQuery).

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/analysis/run_facts.h"
#include "engine/analysis/run_query.h"
#include "engine/store/store.h"
#include "tests/support/temp_dir.h"
#include "views/run_filter_proxy_model.h"
#include "views/run_table_model.h"

namespace zoolab {
namespace {

std::string readSource(const std::string& relative) {
  std::ifstream in(std::string(ZOOLAB_SOURCE_DIR) + "/" + relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// (query, ids "1,2" or "-") of run_queries.txt.
std::vector<std::pair<std::string, std::string>> queryCases() {
  std::vector<std::pair<std::string, std::string>> cases;
  std::istringstream lines(readSource("tests/app/run_queries.txt"));
  std::string line;
  while (std::getline(lines, line)) {
    const size_t tab = line.find('\t');
    if (line.empty() || line[0] == '#' || tab == std::string::npos) {
      continue;
    }
    cases.emplace_back(line.substr(tab + 1), line.substr(0, tab));
  }
  return cases;
}

std::string joinIds(std::vector<int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  std::string out;
  for (int64_t id : ids) {
    out += (out.empty() ? "" : ",") + std::to_string(id);
  }
  return out.empty() ? "-" : out;
}

class RunQueryAgreement : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = m_temp.file("runs.sqlite");
    m_store = std::make_unique<Store>(path);  // the schema, as `zoolab-cli runs` makes it
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    const int rc =
        sqlite3_exec(db, readSource("tests/app/run_queries.sql").c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);

    // As the window: the poller's runs and summaries, the dashboard feed's sweep names.
    std::map<qint64, std::string> sweeps;
    for (const auto& sweep : m_store->list_sweeps()) {
      sweeps[sweep.id] = sweep.name;
    }
    m_model.setSweepNames(sweeps);
    const auto runs = m_store->list_runs();
    auto all = m_store->all_summaries();
    std::vector<std::vector<MetricSummary>> summaries;
    for (const auto& run : runs) {
      summaries.push_back(all[run.id]);
    }
    m_model.setRuns(runs, summaries);
    m_proxy.setSourceModel(&m_model);
  }

  std::string windowIds(const std::string& query) {
    EXPECT_TRUE(m_proxy.setFilterText(QString::fromStdString(query))) << query;
    std::vector<int64_t> ids;
    for (int row = 0; row < m_proxy.rowCount(); ++row) {
      ids.push_back(m_proxy.index(row, 0).data(RunTableModel::RunIdRole).toLongLong());
    }
    return joinIds(ids);
  }

  // What `zoolab-cli runs --where` evaluates (engine/cli/query_commands.cpp).
  std::string cliIds(const std::string& query) const {
    std::vector<int64_t> ids;
    const RunQuery parsed = RunQuery::parse(query);
    for (const auto& facts : load_run_facts(*m_store)) {
      if (parsed.matches(facts)) {
        ids.push_back(facts.run.id);
      }
    }
    return joinIds(ids);
  }

  test_support::TempDir m_temp{"zoolab-run-query"};
  std::unique_ptr<Store> m_store;
  RunTableModel m_model;
  RunFilterProxyModel m_proxy;
};

TEST_F(RunQueryAgreement, TheFilterBoxAndTheCliKeepTheSameRuns) {
  const auto cases = queryCases();
  ASSERT_GE(cases.size(), 20u);
  ASSERT_EQ(m_model.rowCount(), 5);
  for (const auto& [query, expected] : cases) {
    EXPECT_EQ(windowIds(query), expected) << "window filter: " << query;
    EXPECT_EQ(cliIds(query), expected) << "runs --where: " << query;
  }
}

TEST_F(RunQueryAgreement, BothRefuseTheSameTextsAtTheSameColumn) {
  for (const std::string query : {"d_model>=", "(mixer:based", "name~(a", "a or", "best(valid/accuracy"}) {
    m_proxy.setFilterText(QString());
    EXPECT_FALSE(m_proxy.setFilterText(QString::fromStdString(query))) << query;
    try {
      RunQuery::parse(query);
      ADD_FAILURE() << "parsed: " << query;
    } catch (const ParseError& error) {
      EXPECT_EQ(m_proxy.filterError().toStdString(), error.what());
      EXPECT_EQ(m_proxy.filterErrorColumn(), static_cast<int>(error.column()));
    }
  }
}

}  // namespace
}  // namespace zoolab
