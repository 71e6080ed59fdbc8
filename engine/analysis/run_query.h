#pragma once

// The run query language: the filter of the window's run table and of `zoolab-cli runs --where`, one
// parser and one evaluator so both keep the same runs.
//
//   expression := or
//   or         := and ("or" and)*
//   and        := unary (["and"] unary)*      terms side by side are AND-ed
//   unary      := "not" unary | "(" or ")" | term
//   term       := field ":" value             match (see RunQuery::parse)
//               | field op number             op: >= > <= < = !=
//               | field ("=" | "!=") text     equality of the value's text
//               | field "~" regex             ECMAScript, case-insensitive search
//               | word                        substring of name, mixer, status or tags
//
// "and" binds tighter than "or", as in SQL and most search boxes: `a or b c` is `a or (b and c)`.
// Keywords are case-insensitive; a value with spaces or parentheses is quoted ("a b", \" inside).

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/analysis/run_facts.h"

namespace zoolab {

// A query that does not parse: what() is "column C: expected ...", with C counted in characters from 1.
class ParseError : public std::invalid_argument {
 public:
  ParseError(size_t column, const std::string& message);
  size_t column() const { return m_column; }
  // The message without the column ("expected a number after '>='").
  const std::string& message() const { return m_message; }

 private:
  size_t m_column;
  std::string m_message;
};

// One value a field has for a run: a number (then text is how it reads) or a text.
struct FieldValue {
  std::optional<double> number;
  std::string text;
};

// What a field names, resolved once at parse time: a column of the run record, a dotted configuration
// path, or a metric summary with its aggregate. The window's added table columns are fields too.
class RunField {
 public:
  enum class Aggregate { Last, Best, Min, Max };

  // "lr", "model.d_model", "valid/accuracy", "best(valid/accuracy)". Throws ParseError (column 1 based
  // on the text given) for an empty field or an unknown aggregate.
  static RunField parse(const std::string& text);
  // A metric with an explicit aggregate.
  static RunField metric(const std::string& key, Aggregate aggregate);

  // The values of the field for the run; empty when the run does not have it. Several values for fields
  // that hold one per segment or tag (kv, seq_len, tag): a comparison holds when one of them does.
  std::vector<FieldValue> values(const RunFacts& facts) const;

  // How the user wrote it, normalised: "best(valid/accuracy)", "model.d_model", "lr".
  const std::string& text() const { return m_text; }
  // A column header: "valid/accuracy (best)", "model.d_model".
  std::string label() const;
  bool is_metric() const { return m_kind == Kind::Metric; }

 private:
  enum class Kind { Alias, ConfigPath, Metric, ConfigOrMetric };
  Kind m_kind = Kind::ConfigPath;
  std::string m_text;
  std::string m_name;  // alias, path or metric key
  int m_alias = -1;    // the alias's index, found once here rather than per run
  Aggregate m_aggregate = Aggregate::Last;
};

const char* to_string(RunField::Aggregate aggregate);

class RunQuery {
 public:
  struct Node;

  // An empty (or all white space) text matches every run. Throws ParseError.
  static RunQuery parse(const std::string& text);

  bool matches(const RunFacts& facts) const;
  bool empty() const { return m_root == nullptr; }
  const std::string& text() const { return m_text; }

  // Nesting of parentheses and "not" allowed: deeper input is refused instead of recursing further.
  static constexpr int kMaxDepth = 64;

 private:
  std::shared_ptr<const Node> m_root;  // shared: a query is copied into filters cheaply
  std::string m_text;
};

// The runs the query keeps, in their order.
std::vector<RunFacts> filter_runs(const std::vector<RunFacts>& runs, const RunQuery& query);

// Every leaf path of a configuration ("model.d_model", "data.train.0.num_kv_pairs"), sorted: the fields a
// query or a table column can name.
std::vector<std::string> config_leaf_paths(const nlohmann::json& config);

// The expression with a caret under the column, for terminals: "  d_model>=\n           ^".
std::string caret_line(const std::string& text, size_t column);

}  // namespace zoolab
