// Compare like with like: the accuracy dashboards plot the runs of one task definition (data and training
// budget, without what the dashboard plots or chooses over), list every definition with its run count,
// and leave text runs out under a note of their own.

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/engine/core/dashboard_test_support.h"

namespace zoolab {
namespace {

using namespace dashboard_test;

Setting base_conv(int64_t d_model, int64_t vocab_size, int64_t max_epochs) {
  Setting s;
  s.mixer = "base_conv";
  s.d_model = d_model;
  s.vocab_size = vocab_size;
  s.max_epochs = max_epochs;
  return s;
}

std::set<int64_t> plotted_runs(const Figure& figure) {
  std::set<int64_t> out;
  for (const auto& point : points_of(figure)) {
    out.insert(point.run_ids.begin(), point.run_ids.end());
  }
  return out;
}

class TaskDefinitionTest : public DashboardFixture {};

TEST_F(TaskDefinitionTest, AShortRunOfAnotherVocabularyDoesNotStandBesideTheStudy) {
  // The study: 64 epochs at V=256. A quick 3-epoch V=8192 check made at d_model 128 reached 0.99 (it
  // would have been "the best run" of its cell) and must not appear beside them.
  std::set<int64_t> study;
  for (const int64_t d_model : {64, 128, 256}) {
    study.insert(add(base_conv(d_model, 256, 64), 0.3));
  }
  const int64_t quick = add(base_conv(128, 8192, 3), 0.99);
  for (const std::string name : {"accuracy-vs-width", "accuracy-vs-state-size", "accuracy-vs-parameters"}) {
    for (const int64_t id : study) {
      m_store.set_model_info(id, 1000 * id, 100 * id);
    }
    m_store.set_model_info(quick, 2000, 200);
    const Figure figure = build(name);
    EXPECT_EQ(plotted_runs(figure), study) << name;
    ASSERT_EQ(figure.task_definitions.size(), 2u) << name;
    EXPECT_EQ(figure.task_definition, figure.task_definitions[0].key);
    EXPECT_EQ(figure.task_definitions[0].runs, 3);
    EXPECT_EQ(figure.task_definitions[1].runs, 1);
    EXPECT_NE(figure.task_definitions[0].label.find("V=256, 64 epochs"), std::string::npos)
        << figure.task_definitions[0].label;
    EXPECT_NE(figure.task_definitions[1].label.find("V=8192, 3 epochs"), std::string::npos)
        << figure.task_definitions[1].label;
    EXPECT_NE(joined(figure.notes).find("1 run of 1 other task definition left out"), std::string::npos)
        << joined(figure.notes);

    // The other definition is one option away, and shows that run alone.
    DashboardOptions options;
    options.task_definition = figure.task_definitions[1].key;
    const Figure other = build(name, options);
    EXPECT_EQ(plotted_runs(other), std::set<int64_t>{quick}) << name;
    EXPECT_EQ(other.task_definition, options.task_definition);
    EXPECT_NE(joined(other.notes).find("3 runs of 1 other task definition left out"), std::string::npos);
  }
  EXPECT_EQ(build("accuracy-vs-width").task_definitions[0].label, "mqar V=256, 64 epochs, train kv 4");
  EXPECT_EQ(build("accuracy-vs-state-size").task_definitions[0].label, "mqar L=64 kv=4 V=256, 64 epochs");
}

TEST_F(TaskDefinitionTest, AnUnknownDefinitionIsRefusedWithTheKnownKeys) {
  add(base_conv(64, 256, 64), 0.3);
  add(base_conv(64, 8192, 3), 0.5);
  const Figure figure = build("accuracy-vs-width");
  DashboardOptions options;
  options.task_definition = "nosuchkey";
  const std::string message = invalid_argument_of([&] { build("accuracy-vs-width", options); });
  EXPECT_NE(message.find("task_definition"), std::string::npos) << message;
  EXPECT_NE(message.find("\"nosuchkey\""), std::string::npos) << message;
  for (const auto& definition : figure.task_definitions) {
    EXPECT_NE(message.find(definition.key), std::string::npos) << message;
  }
}

TEST_F(TaskDefinitionTest, WhatADashboardPlotsOrChoosesOverDoesNotSplitIt) {
  // Zoology Fig. 2: each sequence length has its own kv pairs and batch size (the panels), and the
  // models, widths, learning rates and seeds are what the figure chooses over or averages.
  Setting a;
  a.seq_len = 64;
  a.kv_pairs = 4;
  a.batch_size = 512;
  Setting b = a;
  b.seq_len = 256;
  b.kv_pairs = 16;
  b.batch_size = 256;
  b.mixer = "h3";
  b.d_model = 128;
  b.learning_rate = 1e-2;
  b.seed = 7;
  add(a, 0.5);
  add(b, 0.6);
  const Figure width = build("accuracy-vs-width");
  EXPECT_EQ(width.task_definitions.size(), 1u);
  EXPECT_EQ(width.panels.size(), 2u);
  EXPECT_EQ(width.task_definitions[0].label, "mqar V=8192, 64 epochs, train kv 4–16");
  // On the state-size axis, another sequence length is another task.
  EXPECT_EQ(build("accuracy-vs-state-size").task_definitions.size(), 2u);

  // The slices: the test segments' kv pairs are the x values of accuracy-by-kv-pairs.
  json c = config_of(a);
  json d = config_of(a);
  d["model"]["d_model"] = 256;
  d["data"]["test"][0]["num_kv_pairs"] = 8;
  d["data"]["cache_dir"] = "/elsewhere";  // where the data is cached changes nothing
  d["train"]["inspect"] = {{"records", false}};
  for (const json& config : {c, d}) {
    const int64_t run = add(config);
    log(run, "valid/accuracy", 1, 0.5);
    log(run, "valid/num_kv_pairs/accuracy-4", 1, 0.5);
  }
  EXPECT_EQ(build("accuracy-by-kv-pairs").task_definitions.at(0).runs, 2 + 1);
  EXPECT_EQ(build("accuracy-by-seq-len").task_definitions.size(), 2u + 1u);
  // Neither the parallel coordinates nor the pivot table separate definitions.
  EXPECT_TRUE(build("pivot-table").task_definitions.empty());
}

TEST_F(TaskDefinitionTest, TiesGoToTheDefinitionWithTheNewestRun) {
  add(base_conv(64, 256, 64), 0.3);
  const int64_t newer = add(base_conv(64, 512, 64), 0.2);
  const Figure figure = build("accuracy-vs-width");
  ASSERT_EQ(figure.task_definitions.size(), 2u);
  EXPECT_EQ(plotted_runs(figure), std::set<int64_t>{newer});
  EXPECT_NE(figure.task_definitions[0].label.find("V=512"), std::string::npos);
}

TEST_F(TaskDefinitionTest, TextRunsAreLeftOutUnderTheirOwnNote) {
  add(base_conv(64, 256, 64), 0.3);
  json text = config_of(base_conv(64, 256, 64));
  text["data"] = {{"task", "text"}, {"vocab_size", 512}, {"text", {{"shards", "/data"}}}};
  const int64_t lm = add(text);
  log(lm, "valid/loss", 1, 3.5);
  const Figure figure = build("accuracy-vs-width");
  const std::string notes = joined(figure.notes);
  EXPECT_EQ(notes.find("no valid/accuracy yet"), std::string::npos) << notes;
  EXPECT_NE(notes.find("1 run of language modelling (data.task \"text\") left out"), std::string::npos)
      << notes;
  EXPECT_EQ(figure.task_definitions.size(), 1u);
  // The pivot table shows them as any other run.
  DashboardOptions options;
  options.metric = "valid/loss";
  EXPECT_EQ(build("pivot-table", options).table->rows.size(), 1u);
}

}  // namespace
}  // namespace zoolab
