// The run query language (engine/analysis/run_query.h): every kind of term and field, precedence,
// missing fields, and the parse errors with their columns.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/analysis/run_query.h"

namespace zoolab {
namespace {

using nlohmann::json;

MetricSummary summary(const std::string& key, double last, double best, double min, double max) {
  MetricSummary out;
  out.key = key;
  out.last = last;
  out.best = best;
  out.min = min;
  out.max = max;
  return out;
}

json mqar_config(int64_t d_model, double lr, std::vector<std::pair<int64_t, int64_t>> segments,
                 const json& mixer) {
  json train = json::array();
  for (const auto& [length, kv] : segments) {
    train.push_back({{"input_seq_len", length}, {"num_kv_pairs", kv}, {"num_examples", 100}});
  }
  return {{"name", "x"},
          {"seed", 1},
          {"data", {{"vocab_size", 8192}, {"train", train}}},
          {"model", {{"d_model", d_model}, {"n_layers", 2}, {"sequence_mixer", mixer}}},
          {"train", {{"learning_rate", lr}, {"max_epochs", 8}}}};
}

RunFacts run(int64_t id, const std::string& name, RunStatus status, json config, const std::string& tags,
             std::vector<MetricSummary> summaries, const std::string& sweep = "") {
  RunRecord record;
  record.id = id;
  record.name = name;
  record.task = config.contains("data") && config["data"].contains("task") ? "text" : "mqar";
  record.mixer = config["model"]["sequence_mixer"]["name"].get<std::string>();
  record.status = status;
  record.tags = tags;
  record.seed = id;
  record.epochs = 8;
  record.steps = 100 * id;
  record.num_parameters = 1000 * id;
  record.state_size = 4096 * id;
  return make_run_facts(record, std::move(config), summaries, sweep);
}

const json kAttention = {{"name", "attention"}, {"kwargs", {{"num_heads", 2}}}};
const json kBased = {{"name", "hybrid"},
                     {"kwargs",
                      {{"configs", json::array({{{"name", "base_conv"}, {"kwargs", json::object()}},
                                                {{"name", "based"}, {"kwargs", json::object()}}})}}}};

class RunQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_runs.push_back(
        run(1, "attn-d64", RunStatus::Finished, mqar_config(64, 1e-3, {{64, 4}, {128, 8}}, kAttention),
            "baseline, paper",
            {summary("valid/accuracy", 0.95, 0.99, 0.1, 0.99), summary("train/loss", 0.5, 0.2, 0.2, 3.0)},
            "fig2"));
    m_runs.push_back(run(2, "based-d128", RunStatus::Running, mqar_config(128, 3e-4, {{256, 64}}, kBased), "",
                         {summary("valid/accuracy", 0.5, 0.6, 0.0, 0.6)}));
    json text = mqar_config(32, 1e-2, {}, kAttention);
    text["data"]["task"] = "text";
    text["data"]["text"] = {{"context_length", 512}};
    m_runs.push_back(run(3, "Text-Run", RunStatus::Failed, text, "paper", {}));
  }

  // The ids the expression keeps.
  std::vector<int64_t> ids(const std::string& expression) const {
    const RunQuery query = RunQuery::parse(expression);
    std::vector<int64_t> out;
    for (const auto& facts : m_runs) {
      if (query.matches(facts)) {
        out.push_back(facts.run.id);
      }
    }
    return out;
  }

  // The error's text; "" when it parses.
  static std::string error(const std::string& expression) {
    try {
      RunQuery::parse(expression);
    } catch (const ParseError& e) {
      return e.what();
    }
    return "";
  }

  std::vector<RunFacts> m_runs;
};

using Ids = std::vector<int64_t>;

TEST_F(RunQueryTest, EmptyMatchesEverything) {
  EXPECT_EQ(ids(""), (Ids{1, 2, 3}));
  EXPECT_EQ(ids("   "), (Ids{1, 2, 3}));
  EXPECT_TRUE(RunQuery::parse(" ").empty());
}

TEST_F(RunQueryTest, BareWordsAreSubstringsOfNameMixerStatusOrTags) {
  EXPECT_EQ(ids("d64"), (Ids{1}));
  EXPECT_EQ(ids("TEXT"), (Ids{3}));
  EXPECT_EQ(ids("based"), (Ids{2}));  // the model label of a hybrid
  EXPECT_EQ(ids("fin"), (Ids{1}));    // status
  EXPECT_EQ(ids("attn fin"), (Ids{1}));
  EXPECT_EQ(ids("paper"), (Ids{1, 3}));  // tags
  EXPECT_EQ(ids("\"attn-d\""), (Ids{1}));
}

TEST_F(RunQueryTest, MatchTerms) {
  EXPECT_EQ(ids("mixer:attention"), (Ids{1, 3}));
  EXPECT_EQ(ids("mixer:based"), (Ids{2}));   // the label
  EXPECT_EQ(ids("mixer:hybrid"), (Ids{2}));  // the mixer's registry name
  EXPECT_EQ(ids("mixer:Attn"), (Ids{}));     // match is equality, not a substring
  EXPECT_EQ(ids("status:finished"), (Ids{1}));
  EXPECT_EQ(ids("status:RUNNING"), (Ids{2}));
  EXPECT_EQ(ids("tag:baseline"), (Ids{1}));
  EXPECT_EQ(ids("tag:paper"), (Ids{1, 3}));
  EXPECT_EQ(ids("tags:base"), (Ids{}));
  EXPECT_EQ(ids("sweep:fig2"), (Ids{1}));
  EXPECT_EQ(ids("name:based-d128"), (Ids{2}));
  EXPECT_EQ(ids("task:text"), (Ids{3}));
  EXPECT_EQ(ids("lr:0.001"), (Ids{1}));  // numbers compare as numbers: 1e-3 == 0.001
  EXPECT_EQ(ids("lr:1e-3"), (Ids{1}));
  EXPECT_EQ(ids("model.sequence_mixer.name:hybrid"), (Ids{2}));
}

TEST_F(RunQueryTest, ComparisonsOnNumbers) {
  EXPECT_EQ(ids("d_model>=64"), (Ids{1, 2}));
  EXPECT_EQ(ids("d_model>64"), (Ids{2}));
  EXPECT_EQ(ids("d_model<64"), (Ids{3}));
  EXPECT_EQ(ids("d_model<=64"), (Ids{1, 3}));
  EXPECT_EQ(ids("d_model=128"), (Ids{2}));
  EXPECT_EQ(ids("d_model!=128"), (Ids{1, 3}));
  EXPECT_EQ(ids("d_model >= 100"), (Ids{2}));  // spaces around the operator
  EXPECT_EQ(ids("model.d_model>=100"), (Ids{2}));
  EXPECT_EQ(ids("lr<1e-3"), (Ids{2}));
  EXPECT_EQ(ids("n_layers=2"), (Ids{1, 2, 3}));
  EXPECT_EQ(ids("vocab=8192"), (Ids{1, 2, 3}));
  EXPECT_EQ(ids("id>1"), (Ids{2, 3}));
  EXPECT_EQ(ids("seed=2"), (Ids{2}));
  EXPECT_EQ(ids("steps>=200"), (Ids{2, 3}));
  EXPECT_EQ(ids("params>1500"), (Ids{2, 3}));
  EXPECT_EQ(ids("state_size>=8192"), (Ids{2, 3}));
  EXPECT_EQ(ids("model.sequence_mixer.kwargs.num_heads=2"), (Ids{1, 3}));
  EXPECT_EQ(ids("mixer>1"), (Ids{}));  // a text is never greater than a number
}

TEST_F(RunQueryTest, SegmentFieldsMatchAnyTrainingSegment) {
  EXPECT_EQ(ids("kv:8"), (Ids{1}));
  EXPECT_EQ(ids("kv:4"), (Ids{1}));
  EXPECT_EQ(ids("num_kv_pairs>=64"), (Ids{2}));
  EXPECT_EQ(ids("data.train.0.num_kv_pairs=4"), (Ids{1}));
  EXPECT_EQ(ids("data.train[1].num_kv_pairs=8"), (Ids{1}));
  EXPECT_EQ(ids("seq_len:128"), (Ids{1}));
  // A text run's sequence length is its context length.
  EXPECT_EQ(ids("seq_len>=256"), (Ids{2, 3}));
  EXPECT_EQ(ids("seq_len=512"), (Ids{3}));
  // A text run's epochs count validations: it has none to compare.
  EXPECT_EQ(ids("epochs=8"), (Ids{1, 2}));
}

TEST_F(RunQueryTest, MetricsWithAggregates) {
  EXPECT_EQ(ids("valid/accuracy>0.9"), (Ids{1}));  // last
  EXPECT_EQ(ids("valid/accuracy>0.96"), (Ids{}));
  EXPECT_EQ(ids("best(valid/accuracy)>=0.99"), (Ids{1}));
  EXPECT_EQ(ids("last(valid/accuracy)<0.6"), (Ids{2}));
  EXPECT_EQ(ids("min(train/loss)<1"), (Ids{1}));
  EXPECT_EQ(ids("max(train/loss)>2"), (Ids{1}));
  EXPECT_EQ(ids("BEST(valid/accuracy)>0.5"), (Ids{1, 2}));
}

TEST_F(RunQueryTest, MissingFieldsDoNotMatchAndNotOfThemDoes) {
  EXPECT_EQ(ids("valid/accuracy<2"), (Ids{1, 2}));
  EXPECT_EQ(ids("not valid/accuracy<2"), (Ids{3}));
  EXPECT_EQ(ids("no.such.path=1"), (Ids{}));
  EXPECT_EQ(ids("no.such.path!=1"), (Ids{}));
  EXPECT_EQ(ids("not no.such.path=1"), (Ids{1, 2, 3}));
  EXPECT_EQ(ids("sweep~."), (Ids{1}));
  EXPECT_EQ(ids("tag!=baseline"), (Ids{3}));  // run 2 has no tags at all
}

TEST_F(RunQueryTest, RegexIsCaseInsensitiveSearch) {
  EXPECT_EQ(ids("name~^attn"), (Ids{1}));
  EXPECT_EQ(ids("name~D1[0-9]8$"), (Ids{2}));
  EXPECT_EQ(ids("name~(text|attn)"), (Ids{1, 3}));
  EXPECT_EQ(ids("(name~(text|attn))"), (Ids{1, 3}));
  EXPECT_EQ(ids("name~\"run$\""), (Ids{3}));
}

TEST_F(RunQueryTest, BooleanOperatorsAndPrecedence) {
  EXPECT_EQ(ids("mixer:based or status:failed"), (Ids{2, 3}));
  EXPECT_EQ(ids("mixer:attention and d_model>=64"), (Ids{1}));
  EXPECT_EQ(ids("not mixer:attention"), (Ids{2}));
  EXPECT_EQ(ids("NOT mixer:attention"), (Ids{2}));
  // "and" (written or implied) binds tighter than "or": a or b c = a or (b and c).
  EXPECT_EQ(ids("mixer:based or mixer:attention d_model<64"), (Ids{2, 3}));
  EXPECT_EQ(ids("mixer:based or (mixer:attention d_model<64)"), (Ids{2, 3}));
  EXPECT_EQ(ids("(mixer:based or mixer:attention) d_model<64"), (Ids{3}));
  EXPECT_EQ(ids("d_model<64 mixer:attention or mixer:based"), (Ids{2, 3}));
  EXPECT_EQ(ids("not not mixer:based"), (Ids{2}));
  EXPECT_EQ(ids("not (mixer:based or status:failed)"), (Ids{1}));
  // Keywords stand alone: "order" and "android" are words, "or:x" a field.
  EXPECT_EQ(ids("andy"), (Ids{}));
}

TEST_F(RunQueryTest, ErrorsNameTheColumnAndWhatWasExpected) {
  EXPECT_EQ(error("mixer:based d_model>="), "column 22: expected a number after '>='");
  EXPECT_EQ(error("d_model>=abc"), "column 10: expected a number after '>='");
  EXPECT_EQ(error("d_model<"), "column 9: expected a number after '<'");
  EXPECT_EQ(error("mixer:"), "column 7: expected a value after ':'");
  EXPECT_EQ(error("(mixer:based"), "column 13: expected ')' to close the '(' at column 1");
  EXPECT_EQ(error("mixer:based)"), "column 12: unexpected ')' without a matching '('");
  EXPECT_EQ(error("()"), "column 2: expected a term after '('");
  EXPECT_EQ(error("a or"), "column 5: expected a term after 'or'");
  EXPECT_EQ(error("a and"), "column 6: expected a term after 'and'");
  EXPECT_EQ(error("or a"), "column 1: expected a term before 'or'");
  EXPECT_EQ(error("not"), "column 4: expected a term after 'not'");
  EXPECT_EQ(error(">3"), "column 1: expected a field or a word before '>'");
  EXPECT_EQ(error("a!3"), "column 2: expected '!=' (not equal)");
  EXPECT_EQ(error("\"open"), "column 1: expected a closing '\"' for the quote that starts here");
  EXPECT_EQ(error("foo(x)>1"),
            "column 1: expected last, best, min or max before '(' (as in best(valid/accuracy))");
  EXPECT_EQ(error("best(valid/accuracy>1"), "column 5: expected a metric key and ')' after '('");
  // Columns count characters, not bytes.
  EXPECT_EQ(error("é>"), "column 3: expected a number after '>'");
  const std::string regex = error("name~(a");
  EXPECT_EQ(regex.rfind("column 6: expected a valid regular expression after '~'", 0), 0u) << regex;
  EXPECT_EQ(
      error("name~" + std::string(300, 'a')).rfind("column 6: expected a regular expression of at most", 0),
      0u);
  try {
    RunQuery::parse("d_model>=");
    FAIL() << "parsed";
  } catch (const std::invalid_argument& e) {  // callers may catch the standard type
    EXPECT_EQ(static_cast<const ParseError&>(e).column(), 10u);
    EXPECT_EQ(static_cast<const ParseError&>(e).message(), "expected a number after '>='");
  }
}

TEST_F(RunQueryTest, NestingDeeperThanTheLimitIsRefused) {
  const int limit = RunQuery::kMaxDepth;
  EXPECT_EQ(ids(std::string(limit, '(') + "mixer:based" + std::string(limit, ')')), (Ids{2}));
  const std::string deep = std::string(limit + 1, '(') + "a" + std::string(limit + 1, ')');
  EXPECT_EQ(error(deep), "column 65: expected at most 64 nested parentheses or 'not'");
  std::string nots;
  for (int i = 0; i <= limit; ++i) {
    nots += "not ";
  }
  EXPECT_NE(error(nots + "a"), "");
  // Far deeper input fails the same way, without recursing (a stack overflow would end the test).
  EXPECT_NE(error(std::string(100000, '(')), "");
  // Long flat expressions are fine: "or" and "and" chains do not nest.
  std::string chain = "attn";
  for (int i = 0; i < 5000; ++i) {
    chain += " or attn";
  }
  EXPECT_EQ(ids(chain), (Ids{1}));
}

TEST(RunField, LabelsNameTheAggregate) {
  EXPECT_EQ(RunField::parse("best(valid/accuracy)").label(), "valid/accuracy (best)");
  EXPECT_EQ(RunField::parse("valid/loss").label(), "valid/loss (last)");
  EXPECT_EQ(RunField::parse("min(train/loss)").text(), "min(train/loss)");
  EXPECT_EQ(RunField::metric("valid/loss", RunField::Aggregate::Min).label(), "valid/loss (min)");
  EXPECT_EQ(RunField::parse("model.d_model").label(), "model.d_model");
  EXPECT_TRUE(RunField::parse("max(valid/loss)").is_metric());
  EXPECT_THROW(RunField::parse(""), ParseError);
  EXPECT_THROW(RunField::parse("mean(valid/loss)"), ParseError);
}

TEST(RunField, ValuesOfConfigurationPaths) {
  RunRecord record;
  record.id = 1;
  const RunFacts facts =
      make_run_facts(record, json{{"train", {{"learning_rate", 0.001}, {"shuffle", true}}}}, {}, "");
  const auto lr = RunField::parse("train.learning_rate").values(facts);
  ASSERT_EQ(lr.size(), 1u);
  EXPECT_DOUBLE_EQ(*lr[0].number, 0.001);
  EXPECT_EQ(lr[0].text, "0.001");
  EXPECT_EQ(RunField::parse("train.shuffle").values(facts)[0].text, "true");
  EXPECT_TRUE(RunField::parse("train.nothing").values(facts).empty());
  EXPECT_TRUE(RunField::parse("train.learning_rate.deeper").values(facts).empty());
}

TEST(ConfigLeafPaths, ListsEveryLeafSorted) {
  const json config = {
      {"model", {{"d_model", 64}, {"sequence_mixer", {{"name", "a"}, {"kwargs", json::object()}}}}},
      {"data", {{"train", json::array({{{"num_kv_pairs", 4}}})}}}};
  EXPECT_EQ(config_leaf_paths(config),
            (std::vector<std::string>{"data.train.0.num_kv_pairs", "model.d_model",
                                      "model.sequence_mixer.kwargs", "model.sequence_mixer.name"}));
}

TEST(CaretLine, PointsAtTheColumn) {
  EXPECT_EQ(caret_line("d_model>=", 10), "  d_model>=\n           ^");
  EXPECT_EQ(caret_line("a\tb", 3), "  a b\n    ^");
}

}  // namespace
}  // namespace zoolab
