// The GUI's speed targets (docs/development.md#benchmarks): the run explorer loading 10,000 runs (the model
// alone, and from a database through the poller), and the curve view loading and replotting 50 runs of
// 100,000 points. Rendered with Qt's offscreen platform, so the numbers measure QCustomPlot's drawing into
// its buffers, not a display server. Run:
//   build-gui/tests/bench/bench_views
// (the ctest entry bench.views_smoke only runs the smallest sizes once).

#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <QApplication>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include "engine/store/store.h"
#include "tests/views/run_fixtures.h"
#include "views/curve_plot.h"
#include "views/database_poller.h"
#include "views/qcustomplot_include.h"
#include "views/run_filter_proxy_model.h"
#include "views/run_table_model.h"

namespace zoolab {
namespace {

using Summaries = std::vector<std::vector<MetricSummary>>;

constexpr const char* kMixers[] = {"attention", "based", "hyena", "h3", "rwkv", "mamba", "sliding_window"};
constexpr RunStatus kStatuses[] = {RunStatus::Finished, RunStatus::Running, RunStatus::Failed,
                                   RunStatus::Queued};

void makeRuns(int count, int64_t firstId, std::vector<RunRecord>* runs, Summaries* summaries) {
  runs->clear();
  summaries->clear();
  for (int i = 0; i < count; ++i) {
    const int64_t id = firstId + count - i;  // newest first, as Store::list_runs returns them
    const std::string mixer = kMixers[i % 7];
    RunRecord run =
        testing::makeRun(id, mixer + "-d" + std::to_string(64 << (i % 4)) + "-" + std::to_string(id), mixer,
                         kStatuses[i % 4], 100000 + 7919 * i);
    run.epochs = i % 64;
    run.steps = 1000 * (i % 64);
    runs->push_back(std::move(run));
    const double accuracy = 0.5 + 0.5 * std::sin(0.37 * i) * std::sin(0.37 * i);
    summaries->push_back({testing::makeSummary("valid/accuracy", accuracy, accuracy),
                          testing::makeSummary("valid/loss", 1.0 - accuracy, 1.0 - accuracy),
                          testing::makeSummary("train/loss", 2.0 - accuracy, 1.9 - accuracy)});
  }
}

// Opening the explorer: a model (with its sorted filter proxy attached, as the table shows it) receiving
// every run at once.
void BM_RunTableModelSetRuns(benchmark::State& state) {
  std::vector<RunRecord> runs;
  Summaries summaries;
  makeRuns(static_cast<int>(state.range(0)), 0, &runs, &summaries);
  for (auto _ : state) {
    RunTableModel model;
    RunFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.sort(RunTableModel::ColumnValidAccuracy, Qt::DescendingOrder);
    model.setRuns(runs, summaries);
    benchmark::DoNotOptimize(proxy.rowCount());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RunTableModelSetRuns)->Arg(100)->Arg(10000)->Unit(benchmark::kMillisecond);

// A poll of the same runs with a few of them progressed: updated in place (dataChanged), re-sorted.
void BM_RunTableModelUpdate(benchmark::State& state) {
  std::vector<RunRecord> runs;
  Summaries summaries;
  makeRuns(static_cast<int>(state.range(0)), 0, &runs, &summaries);
  RunTableModel model;
  RunFilterProxyModel proxy;
  proxy.setSourceModel(&model);
  proxy.sort(RunTableModel::ColumnValidAccuracy, Qt::DescendingOrder);
  model.setRuns(runs, summaries);
  int64_t tick = 0;
  for (auto _ : state) {
    ++tick;
    for (size_t i = 0; i < runs.size(); i += 1000) {  // ten running runs in 10,000
      runs[i].steps = 1000000 + tick;
      summaries[i][0].last = std::fmod(0.001 * static_cast<double>(tick + i), 1.0);
      summaries[i][0].best = summaries[i][0].last;
    }
    model.setRuns(runs, summaries);
    benchmark::DoNotOptimize(proxy.rowCount());
  }
}
BENCHMARK(BM_RunTableModelUpdate)->Arg(100)->Arg(10000)->Unit(benchmark::kMillisecond);

// A training curve's history: a decaying, noisy loss with the epoch and wall time the trainer records.
std::vector<MetricPoint> history(int64_t run, int64_t points, int64_t* nextId) {
  std::vector<MetricPoint> rows(static_cast<size_t>(points));
  for (int64_t step = 0; step < points; ++step) {
    MetricPoint& row = rows[static_cast<size_t>(step)];
    row.id = (*nextId)++;
    row.run_id = run;
    row.key = "train/loss";
    row.step = step;
    row.epoch = step / 1000;
    row.wall_time = 0.05 * static_cast<double>(step);
    const double noise = std::sin(0.7 * step + run) * std::sin(0.13 * step);
    row.value =
        (0.2 + 3.0 * std::exp(-static_cast<double>(step) / (5000.0 + 300.0 * run))) * (1.0 + 0.2 * noise);
  }
  return rows;
}

// Sizes the view so that the QCustomPlot widget itself is 1200 x 800 and lays it out.
void showAt1200x800(CurvePlot& view) {
  view.resize(1200, 800);
  view.show();
  if (!QTest::qWaitForWindowExposed(&view)) {
    qWarning("bench_views: the window was not exposed; the replot may draw nothing");
  }
  const int controls = view.height() - view.customPlot()->height();
  view.resize(1200, 800 + controls);
  QCoreApplication::processEvents();
}

void loadRuns(CurvePlot& view, int64_t runs, int64_t points, benchmark::State* timing) {
  int64_t nextId = 1;
  QVector<qint64> ids;
  for (int64_t run = 1; run <= runs; ++run) {
    if (timing != nullptr)
      timing->PauseTiming();
    const std::vector<MetricPoint> rows = history(run, points, &nextId);
    if (timing != nullptr)
      timing->ResumeTiming();
    view.setRunHistory(run, rows);
    ids.append(run);
  }
  view.setRuns(ids);
}

// Selecting 50 long runs: their histories enter the store and every graph is built (smoothing included).
void BM_CurvePlotLoad(benchmark::State& state) {
  const int64_t runs = state.range(0);
  const int64_t points = state.range(1);
  for (auto _ : state) {
    state.PauseTiming();
    auto view = std::make_unique<CurvePlot>();
    view->setMetric(QStringLiteral("train/loss"));
    view->setRuns({});
    state.ResumeTiming();
    loadRuns(*view, runs, points, &state);
    benchmark::DoNotOptimize(view->graphCount());
    state.PauseTiming();
    view.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * runs * points);
}
BENCHMARK(BM_CurvePlotLoad)->Args({2, 1000})->Args({50, 100000})->Unit(benchmark::kMillisecond);

// One full replot of everything loaded, drawn into the widget at 1200 x 800 (all data in view).
void BM_CurvePlotReplot(benchmark::State& state) {
  CurvePlot view;
  showAt1200x800(view);
  loadRuns(view, state.range(0), state.range(1), nullptr);
  view.fit();
  QCoreApplication::processEvents();
  for (auto _ : state) {
    view.customPlot()->replot(QCustomPlot::rpImmediateRefresh);
  }
  state.counters["antialiased"] = view.customPlot()->graph(0)->antialiased();
  state.counters["width"] = view.customPlot()->width();
  state.counters["height"] = view.customPlot()->height();
  state.counters["graphs"] = view.customPlot()->graphCount();
}
BENCHMARK(BM_CurvePlotReplot)->Args({2, 1000})->Args({50, 100000})->Unit(benchmark::kMillisecond);

// The live path: one new row for each of the 50 runs (a poll), appended to the graphs and smoothed; the
// coalesced replot is not included (see BM_CurvePlotReplot).
void BM_CurvePlotAppend(benchmark::State& state) {
  CurvePlot view;
  loadRuns(view, state.range(0), state.range(1), nullptr);
  int64_t nextId = 100000000;
  int64_t step = state.range(1);
  std::vector<MetricPoint> poll(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    for (size_t run = 0; run < poll.size(); ++run) {
      MetricPoint& row = poll[run];
      row.id = nextId++;
      row.run_id = static_cast<int64_t>(run) + 1;
      row.key = "train/loss";
      row.step = step;
      row.epoch = step / 1000;
      row.wall_time = 0.05 * static_cast<double>(step);
      row.value = 0.2 + 0.01 * std::sin(static_cast<double>(step));
    }
    ++step;
    view.appendMetrics(poll);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_CurvePlotAppend)->Args({2, 1000})->Args({50, 100000})->Unit(benchmark::kMicrosecond);

// Opening the explorer on a real database: a run database of N runs with real configurations (about
// 1.5 KB of JSON each) and three metric summaries per run, read by a fresh DatabasePoller into the model
// and its sorted proxy, as MainWindow::openDatabase does. This is the first poll: every run and summary.
void BM_ExplorerOpensDatabase(benchmark::State& state) {
  const int count = static_cast<int>(state.range(0));
  QTemporaryDir dir;
  const QString path = dir.filePath(QStringLiteral("runs.sqlite"));
  {
    Store store(path.toStdString());
    QFile tiny(QStringLiteral(ZOOLAB_SOURCE_DIR "/resources/presets/fig2-attention-L64-d64.json"));
    tiny.open(QIODevice::ReadOnly);
    const std::string config = tiny.readAll().toStdString();
    sqlite3* db = store.handle();
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* run = nullptr;
    sqlite3_prepare_v2(db,
                       "INSERT INTO runs (name, task, mixer, config_json, status, created_at, epochs, steps) "
                       "VALUES (?, 'mqar', ?, ?, 'finished', '2026-11-29T10:00:00Z', 64, 12544)",
                       -1, &run, nullptr);
    sqlite3_stmt* summary = nullptr;
    sqlite3_prepare_v2(db,
                       "INSERT INTO run_summary (run_id, key, last, last_step, min, max, best, best_step) "
                       "VALUES (?, ?, 0.5, 12544, 0.1, 0.9, 0.9, 12000)",
                       -1, &summary, nullptr);
    for (int i = 1; i <= count; ++i) {
      const std::string name = "fig2-" + std::to_string(i);
      sqlite3_bind_text(run, 1, name.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(run, 2, kMixers[i % 7], -1, SQLITE_STATIC);
      sqlite3_bind_text(run, 3, config.c_str(), -1, SQLITE_STATIC);
      sqlite3_step(run);
      sqlite3_reset(run);
      for (const char* key : {"valid/accuracy", "valid/loss", "train/loss"}) {
        sqlite3_bind_int64(summary, 1, i);
        sqlite3_bind_text(summary, 2, key, -1, SQLITE_STATIC);
        sqlite3_step(summary);
        sqlite3_reset(summary);
      }
    }
    sqlite3_finalize(run);
    sqlite3_finalize(summary);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  for (auto _ : state) {
    RunTableModel model;
    RunFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.sort(RunTableModel::ColumnId, Qt::DescendingOrder);
    DatabasePoller poller(path);
    QObject::connect(&poller, &DatabasePoller::runsChanged, &model, &RunTableModel::setRuns);
    poller.poll();
    if (model.rowCount() != count) {
      state.SkipWithError("the poller did not load every run");
    }
  }
  state.SetItemsProcessed(state.iterations() * count);
}
BENCHMARK(BM_ExplorerOpensDatabase)->Arg(100)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);  // first: it removes its own flags from argv
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  if (!qEnvironmentVariableIsSet("QT_QPA_PLATFORM")) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
  }
  QApplication app(argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
