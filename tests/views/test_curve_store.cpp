// CurveStore: the per-run, per-metric histories the curve view draws, fed as the poller feeds them.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/views/run_fixtures.h"
#include "views/curve_store.h"

namespace zoolab {
namespace {

MetricPoint point(int64_t id, int64_t run, const std::string& key, int64_t step, double value,
                  int64_t epoch = 0, double wallTime = 0.0) {
  return testing::makePoint(id, run, key, step, value, epoch, wallTime);
}

TEST(CurveStore, SplitsRowsByRunAndKeyInOrder) {
  CurveStore store;
  const auto grown =
      store.append({point(1, 7, "train/loss", 1, 2.5, 0, 0.5), point(2, 7, "train/lr", 1, 0.1),
                    point(3, 8, "train/loss", 1, 3.0), point(4, 7, "train/loss", 2, 2.0, 1, 1.5)});
  ASSERT_EQ(grown.size(), 3u);
  EXPECT_EQ(grown[0], CurveStore::SeriesId(7, "train/loss"));
  EXPECT_EQ(grown[1], CurveStore::SeriesId(7, "train/lr"));
  EXPECT_EQ(grown[2], CurveStore::SeriesId(8, "train/loss"));

  const CurveSeries* loss = store.series(7, "train/loss");
  ASSERT_NE(loss, nullptr);
  EXPECT_EQ(loss->steps, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(loss->epochs, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(loss->wallTimes, (std::vector<double>{0.5, 1.5}));
  EXPECT_EQ(loss->values, (std::vector<double>{2.5, 2.0}));
  EXPECT_EQ(loss->lastId, 4);
  EXPECT_EQ(store.series(8, "train/lr"), nullptr);
  EXPECT_EQ(store.series(9, "train/loss"), nullptr);
  EXPECT_EQ(store.lastId(), 4);
  EXPECT_EQ(store.pointCount(), 4u);
  EXPECT_EQ(store.keys(), (std::vector<std::string>{"train/loss", "train/lr"}));
  EXPECT_EQ(store.keys(8), (std::vector<std::string>{"train/loss"}));
  EXPECT_TRUE(store.keys(9).empty());
}

TEST(CurveStore, SkipsRowsItAlreadyHolds) {
  CurveStore store;
  store.append({point(1, 7, "train/loss", 1, 2.5), point(2, 7, "train/loss", 2, 2.0)});
  // A poll overlapping the previous one: only id 3 is new.
  const auto grown = store.append({point(2, 7, "train/loss", 2, 2.0), point(3, 7, "train/loss", 3, 1.5)});
  EXPECT_EQ(grown.size(), 1u);
  EXPECT_EQ(store.series(7, "train/loss")->values, (std::vector<double>{2.5, 2.0, 1.5}));
  EXPECT_TRUE(store.append({point(3, 7, "train/loss", 3, 1.5)}).empty());
}

TEST(CurveStore, RowsWithoutIdAreAlwaysAppended) {
  CurveStore store;
  store.append({point(0, 1, "x", 1, 1.0), point(0, 1, "x", 2, 2.0)});
  EXPECT_EQ(store.series(1, "x")->size(), 2u);
}

TEST(CurveStore, HistoryReplacesTheRunAndChangesGeneration) {
  CurveStore store;
  store.append(
      {point(5, 7, "train/loss", 5, 1.0), point(6, 7, "old/key", 5, 1.0), point(7, 8, "train/loss", 1, 9.0)});
  const uint64_t before = store.series(7, "train/loss")->generation;
  const auto replaced =
      store.setRunHistory(7, {point(1, 7, "train/loss", 1, 4.0), point(3, 7, "train/loss", 3, 3.0),
                              point(5, 7, "train/loss", 5, 1.0),
                              point(4, 99, "train/loss", 4, 0.0)});  // another run's row: ignored
  ASSERT_EQ(replaced.size(), 1u);
  const CurveSeries* loss = store.series(7, "train/loss");
  ASSERT_NE(loss, nullptr);
  EXPECT_EQ(loss->steps, (std::vector<int64_t>{1, 3, 5}));
  EXPECT_NE(loss->generation, before);
  EXPECT_EQ(store.series(7, "old/key"), nullptr);
  EXPECT_EQ(store.series(99, "train/loss"), nullptr);
  EXPECT_EQ(store.keys(), (std::vector<std::string>{"train/loss"}));
  EXPECT_EQ(store.pointCount(), 4u);
  // The poller then hands over rows after its own last id: those the history held are skipped.
  store.append({point(5, 7, "train/loss", 5, 1.0), point(8, 7, "train/loss", 6, 0.5)});
  EXPECT_EQ(loss->steps, (std::vector<int64_t>{1, 3, 5, 6}));
}

TEST(CurveStore, EmptyHistoryMarksTheRunLoaded) {
  CurveStore store;
  EXPECT_FALSE(store.hasRun(3));
  store.setRunHistory(3, {});
  EXPECT_TRUE(store.hasRun(3));
  EXPECT_TRUE(store.keys(3).empty());
}

TEST(CurveStore, RemoveAndClearForgetPointsAndKeys) {
  CurveStore store;
  store.append({point(1, 1, "a", 1, 1.0), point(2, 2, "b", 1, 1.0), point(3, 1, "b", 1, 1.0)});
  store.removeRun(1);
  EXPECT_FALSE(store.hasRun(1));
  EXPECT_EQ(store.keys(), (std::vector<std::string>{"b"}));
  EXPECT_EQ(store.pointCount(), 1u);
  // The lookup cache must not hand out the erased series.
  store.append({point(4, 1, "b", 2, 5.0)});
  EXPECT_EQ(store.series(1, "b")->values, (std::vector<double>{5.0}));
  store.clear();
  EXPECT_TRUE(store.keys().empty());
  EXPECT_EQ(store.pointCount(), 0u);
  EXPECT_EQ(store.lastId(), 0);
}

}  // namespace
}  // namespace zoolab
