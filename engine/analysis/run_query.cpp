#include "engine/analysis/run_query.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <regex>

namespace zoolab {

namespace {

using nlohmann::json;

// Longer patterns are refused: std::regex matches recursively, and a filter box is no place for them.
constexpr size_t kMaxRegexLength = 256;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && lower(a) == lower(b);
}

bool icontains(const std::string& haystack, const std::string& lowered_needle) {
  return lower(haystack).find(lowered_needle) != std::string::npos;
}

std::string number_text(double value) {
  char text[32];
  if (std::floor(value) == value && std::abs(value) < 1e15) {
    std::snprintf(text, sizeof(text), "%lld", static_cast<long long>(value));
  } else {
    std::snprintf(text, sizeof(text), "%.10g", value);
  }
  return text;
}

// A whole, finite number ("1e-3", "-2", "0.99"); nullopt for anything else.
std::optional<double> parse_number(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

FieldValue number_value(double value) {
  FieldValue out;
  out.number = value;
  out.text = number_text(value);
  return out;
}

FieldValue text_value(std::string text) {
  FieldValue out;
  out.text = std::move(text);
  return out;
}

// A configuration value as a field value; nullopt for null (a field the run does not have).
std::optional<FieldValue> json_value(const json& value) {
  if (value.is_null()) {
    return std::nullopt;
  }
  if (value.is_number()) {
    return number_value(value.get<double>());
  }
  if (value.is_boolean()) {
    return text_value(value.get<bool>() ? "true" : "false");
  }
  if (value.is_string()) {
    return text_value(value.get<std::string>());
  }
  return text_value(value.dump());
}

const json* json_at_path(const json& root, const std::string& path) {
  const json* node = &root;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (node->is_object()) {
      const auto found = node->find(part);
      if (found == node->end()) {
        return nullptr;
      }
      node = &*found;
    } else if (node->is_array() && !part.empty() && part.size() < 10 &&
               std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); })) {
      const size_t index = std::stoul(part);
      if (index >= node->size()) {
        return nullptr;
      }
      node = &(*node)[index];
    } else {
      return nullptr;
    }
    if (dot == std::string::npos) {
      break;
    }
    start = dot + 1;
  }
  return node;
}

// The value at `key` of every training segment ("any segment" fields).
std::vector<FieldValue> segment_values(const json& config, const char* key) {
  std::vector<FieldValue> out;
  const json* train = json_at_path(config, "data.train");
  if (train == nullptr || !train->is_array()) {
    return out;
  }
  for (const auto& segment : *train) {
    if (segment.is_object() && segment.contains(key) && segment[key].is_number()) {
      out.push_back(number_value(segment[key].get<double>()));
    }
  }
  return out;
}

bool is_text_run(const RunFacts& facts) {
  const json* task = json_at_path(facts.config, "data.task");
  return facts.run.task == "text" || (task != nullptr && task->is_string() && *task == "text");
}

// The short names: fields of the run record, and configuration paths people type every day.
struct Alias {
  const char* name;
  std::function<std::vector<FieldValue>(const RunFacts&)> values;
};

std::vector<FieldValue> config_path_values(const RunFacts& facts, const std::string& path) {
  const json* value = json_at_path(facts.config, path);
  if (value == nullptr) {
    return {};
  }
  const auto field = json_value(*value);
  return field ? std::vector<FieldValue>{*field} : std::vector<FieldValue>{};
}

std::vector<FieldValue> positive(int64_t value) {
  return value > 0 ? std::vector<FieldValue>{number_value(static_cast<double>(value))}
                   : std::vector<FieldValue>{};
}

const std::vector<Alias>& aliases() {
  static const std::vector<Alias> table = {
      {"lr", [](const RunFacts& f) { return config_path_values(f, "train.learning_rate"); }},
      {"learning_rate", [](const RunFacts& f) { return config_path_values(f, "train.learning_rate"); }},
      {"d_model", [](const RunFacts& f) { return config_path_values(f, "model.d_model"); }},
      {"n_layers", [](const RunFacts& f) { return config_path_values(f, "model.n_layers"); }},
      // A text run's sequences are its context length; an MQAR run has one length per training segment.
      {"seq_len",
       [](const RunFacts& f) {
         return is_text_run(f) ? config_path_values(f, "data.text.context_length")
                               : segment_values(f.config, "input_seq_len");
       }},
      {"kv", [](const RunFacts& f) { return segment_values(f.config, "num_kv_pairs"); }},
      {"num_kv_pairs", [](const RunFacts& f) { return segment_values(f.config, "num_kv_pairs"); }},
      {"vocab", [](const RunFacts& f) { return config_path_values(f, "data.vocab_size"); }},
      {"vocab_size", [](const RunFacts& f) { return config_path_values(f, "data.vocab_size"); }},
      // Completed epochs; a text run's "epochs" count its validations, so it has none.
      {"epochs",
       [](const RunFacts& f) {
         return is_text_run(f) ? std::vector<FieldValue>{}
                               : std::vector<FieldValue>{number_value(static_cast<double>(f.run.epochs))};
       }},
      {"steps", [](const RunFacts& f) { return std::vector<FieldValue>{number_value(double(f.run.steps))}; }},
      {"seed", [](const RunFacts& f) { return std::vector<FieldValue>{number_value(double(f.run.seed))}; }},
      {"id", [](const RunFacts& f) { return std::vector<FieldValue>{number_value(double(f.run.id))}; }},
      // 0 means "not built yet" (a queued run): it has no size to compare.
      {"params", [](const RunFacts& f) { return positive(f.run.num_parameters); }},
      {"parameters", [](const RunFacts& f) { return positive(f.run.num_parameters); }},
      {"state_size", [](const RunFacts& f) { return positive(f.run.state_size); }},
      {"mixer",
       [](const RunFacts& f) {
         std::vector<FieldValue> out;
         if (!f.model.empty()) {
           out.push_back(text_value(f.model));
         }
         if (!f.run.mixer.empty() && f.run.mixer != f.model) {
           out.push_back(text_value(f.run.mixer));
         }
         // A hybrid labelled "based+sliding_window" is a based run and a sliding_window run.
         size_t start = 0;
         while (f.model.find('+') != std::string::npos && start <= f.model.size()) {
           const size_t plus = f.model.find('+', start);
           out.push_back(text_value(f.model.substr(start, plus == std::string::npos ? plus : plus - start)));
           if (plus == std::string::npos) {
             break;
           }
           start = plus + 1;
         }
         return out;
       }},
      {"model", [](const RunFacts& f) { return std::vector<FieldValue>{text_value(f.model)}; }},
      {"status",
       [](const RunFacts& f) { return std::vector<FieldValue>{text_value(to_string(f.run.status))}; }},
      {"task", [](const RunFacts& f) { return std::vector<FieldValue>{text_value(f.run.task)}; }},
      {"name", [](const RunFacts& f) { return std::vector<FieldValue>{text_value(f.run.name)}; }},
      {"sweep",
       [](const RunFacts& f) {
         return f.sweep.empty() ? std::vector<FieldValue>{} : std::vector<FieldValue>{text_value(f.sweep)};
       }},
      {"tag",
       [](const RunFacts& f) {
         std::vector<FieldValue> out;
         size_t start = 0;
         while (start <= f.run.tags.size()) {
           const size_t comma = f.run.tags.find(',', start);
           std::string tag =
               f.run.tags.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
           tag.erase(0, tag.find_first_not_of(" \t"));
           tag.erase(tag.find_last_not_of(" \t") + 1);
           if (!tag.empty()) {
             out.push_back(text_value(std::move(tag)));
           }
           if (comma == std::string::npos) {
             break;
           }
           start = comma + 1;
         }
         return out;
       }},
  };
  return table;
}

// The index of the alias in aliases(), -1 for none.
int find_alias(const std::string& name) {
  const std::string key = lower(name) == "tags" ? "tag" : lower(name);
  for (size_t i = 0; i < aliases().size(); ++i) {
    if (key == aliases()[i].name) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::optional<RunField::Aggregate> aggregate_named(const std::string& name) {
  const std::string key = lower(name);
  if (key == "last") {
    return RunField::Aggregate::Last;
  }
  if (key == "best") {
    return RunField::Aggregate::Best;
  }
  if (key == "min") {
    return RunField::Aggregate::Min;
  }
  if (key == "max") {
    return RunField::Aggregate::Max;
  }
  return std::nullopt;
}

std::vector<FieldValue> metric_values(const RunFacts& facts, const std::string& key,
                                      RunField::Aggregate aggregate) {
  const auto found = facts.summaries.find(key);
  if (found == facts.summaries.end()) {
    return {};
  }
  const MetricSummary& summary = found->second;
  switch (aggregate) {
    case RunField::Aggregate::Last:
      return {number_value(summary.last)};
    case RunField::Aggregate::Best:
      return {number_value(summary.best)};
    case RunField::Aggregate::Min:
      return {number_value(summary.min)};
    case RunField::Aggregate::Max:
      return {number_value(summary.max)};
  }
  return {};
}

// Byte offset → column in characters (UTF-8 code points), from 1.
size_t column_of(const std::string& text, size_t offset) {
  size_t column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return column;
}

}  // namespace

ParseError::ParseError(size_t column, const std::string& message)
    : std::invalid_argument("column " + std::to_string(column) + ": " + message),
      m_column(column),
      m_message(message) {}

const char* to_string(RunField::Aggregate aggregate) {
  switch (aggregate) {
    case RunField::Aggregate::Last:
      return "last";
    case RunField::Aggregate::Best:
      return "best";
    case RunField::Aggregate::Min:
      return "min";
    case RunField::Aggregate::Max:
      return "max";
  }
  return "last";
}

RunField RunField::metric(const std::string& key, Aggregate aggregate) {
  RunField field;
  field.m_kind = Kind::Metric;
  field.m_name = key;
  field.m_aggregate = aggregate;
  field.m_text = std::string(to_string(aggregate)) + "(" + key + ")";
  return field;
}

RunField RunField::parse(const std::string& text) {
  if (text.empty()) {
    throw ParseError(1, "expected a field name");
  }
  const size_t open = text.find('(');
  if (open != std::string::npos) {
    const auto aggregate = aggregate_named(text.substr(0, open));
    if (!aggregate) {
      throw ParseError(1, "expected last, best, min or max before '(' (as in best(valid/accuracy))");
    }
    if (text.back() != ')' || text.size() < open + 3) {
      throw ParseError(column_of(text, text.size()), "expected a metric key and ')' after '('");
    }
    return metric(text.substr(open + 1, text.size() - open - 2), *aggregate);
  }
  RunField field;
  field.m_text = text;
  field.m_alias = find_alias(text);
  if (field.m_alias >= 0) {
    field.m_kind = Kind::Alias;
    field.m_name = lower(text);
    return field;
  }
  // "data.train[0].input_seq_len", as the engine's error messages write it, is "data.train.0.input_seq_len".
  std::string path;
  for (char c : text) {
    if (c == '[') {
      path += '.';
    } else if (c != ']') {
      path += c;
    }
  }
  field.m_kind = Kind::ConfigOrMetric;
  field.m_name = path;
  return field;
}

std::vector<FieldValue> RunField::values(const RunFacts& facts) const {
  switch (m_kind) {
    case Kind::Alias:
      return aliases()[static_cast<size_t>(m_alias)].values(facts);
    case Kind::Metric:
      return metric_values(facts, m_name, m_aggregate);
    case Kind::ConfigPath:
      return config_path_values(facts, m_name);
    case Kind::ConfigOrMetric: {
      // Metric keys have a slash ("valid/accuracy"), configuration paths dots: try the likelier first.
      const bool metric_first = m_name.find('/') != std::string::npos;
      auto values =
          metric_first ? metric_values(facts, m_name, Aggregate::Last) : config_path_values(facts, m_name);
      if (values.empty()) {
        values =
            metric_first ? config_path_values(facts, m_name) : metric_values(facts, m_name, Aggregate::Last);
      }
      return values;
    }
  }
  return {};
}

std::string RunField::label() const {
  if (m_kind == Kind::Metric) {
    return m_name + " (" + to_string(m_aggregate) + ")";
  }
  if (m_kind == Kind::ConfigOrMetric && m_name.find('/') != std::string::npos) {
    return m_name + " (last)";
  }
  return m_text;
}

// ---------------------------------------------------------------------------------------------------------

struct RunQuery::Node {
  enum class Kind { And, Or, Not, Word, Match, Compare, NotEqual, Regex };
  enum class Op { Less, LessEqual, Greater, GreaterEqual, Equal };
  Kind kind = Kind::Word;
  std::vector<std::shared_ptr<const Node>> children;
  RunField field;
  std::string value;  // lowered for Word
  std::optional<double> number;
  Op op = Op::Equal;
  std::regex regex;

  bool matches(const RunFacts& facts) const;
};

namespace {

bool equal_value(const FieldValue& value, const std::string& text, const std::optional<double>& number) {
  if (number && value.number) {
    return *value.number == *number;
  }
  return iequals(value.text, text);
}

}  // namespace

bool RunQuery::Node::matches(const RunFacts& facts) const {
  switch (kind) {
    case Kind::And:
      return std::all_of(children.begin(), children.end(), [&](const auto& c) { return c->matches(facts); });
    case Kind::Or:
      return std::any_of(children.begin(), children.end(), [&](const auto& c) { return c->matches(facts); });
    case Kind::Not:
      return !children.front()->matches(facts);
    case Kind::Word: {
      const RunRecord& run = facts.run;
      return icontains(run.name, value) || icontains(run.mixer, value) || icontains(facts.model, value) ||
             icontains(to_string(run.status), value) || icontains(run.tags, value);
    }
    case Kind::Match: {
      const auto values = field.values(facts);
      return std::any_of(values.begin(), values.end(),
                         [&](const auto& v) { return equal_value(v, value, number); });
    }
    case Kind::NotEqual: {
      // The run has the field and none of its values is the one named (a tag list without "baseline").
      const auto values = field.values(facts);
      return !values.empty() && std::none_of(values.begin(), values.end(),
                                             [&](const auto& v) { return equal_value(v, value, number); });
    }
    case Kind::Compare: {
      const auto values = field.values(facts);
      return std::any_of(values.begin(), values.end(), [&](const FieldValue& v) {
        if (!v.number) {
          return false;
        }
        switch (op) {
          case Op::Less:
            return *v.number < *number;
          case Op::LessEqual:
            return *v.number <= *number;
          case Op::Greater:
            return *v.number > *number;
          case Op::GreaterEqual:
            return *v.number >= *number;
          case Op::Equal:
            return *v.number == *number;
        }
        return false;
      });
    }
    case Kind::Regex: {
      const auto values = field.values(facts);
      return std::any_of(values.begin(), values.end(),
                         [&](const FieldValue& v) { return std::regex_search(v.text, regex); });
    }
  }
  return false;
}

namespace {

using Node = RunQuery::Node;
using NodePtr = std::shared_ptr<const Node>;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Characters that end a field or a bare word.
bool ends_word(char c) {
  return is_space(c) || c == '(' || c == ')' || c == ':' || c == '<' || c == '>' || c == '=' || c == '!' ||
         c == '~' || c == '"';
}

class Parser {
 public:
  explicit Parser(const std::string& text) : m_text(text) {}

  NodePtr parse() {
    skip_space();
    if (at_end()) {
      return nullptr;
    }
    NodePtr root = parse_or();
    skip_space();
    if (!at_end()) {
      fail(m_pos,
           peek() == ')' ? "unexpected ')' without a matching '('" : "expected 'and', 'or' or the end");
    }
    return root;
  }

 private:
  [[noreturn]] void fail(size_t offset, const std::string& message) const {
    throw ParseError(column_of(m_text, offset), message);
  }
  bool at_end() const { return m_pos >= m_text.size(); }
  char peek() const { return at_end() ? '\0' : m_text[m_pos]; }
  void skip_space() {
    while (!at_end() && is_space(m_text[m_pos])) {
      ++m_pos;
    }
  }
  // A keyword stands alone: "or" in "or:x" or "order" is not one.
  bool at_keyword(const char* keyword) const {
    const size_t length = std::char_traits<char>::length(keyword);
    if (m_pos + length > m_text.size() || lower(m_text.substr(m_pos, length)) != keyword) {
      return false;
    }
    const size_t next = m_pos + length;
    return next == m_text.size() || is_space(m_text[next]) || m_text[next] == '(' || m_text[next] == ')';
  }
  void expect_term_after(const char* what) {
    skip_space();
    if (at_end() || peek() == ')') {
      fail(m_pos, std::string("expected a term after '") + what + "'");
    }
  }
  void enter(size_t offset) {
    if (++m_depth > RunQuery::kMaxDepth) {
      fail(offset,
           "expected at most " + std::to_string(RunQuery::kMaxDepth) + " nested parentheses or 'not'");
    }
  }

  NodePtr parse_or() {
    std::vector<NodePtr> children{parse_and()};
    for (;;) {
      skip_space();
      if (!at_keyword("or")) {
        break;
      }
      m_pos += 2;
      expect_term_after("or");
      children.push_back(parse_and());
    }
    return group(Node::Kind::Or, std::move(children));
  }

  NodePtr parse_and() {
    std::vector<NodePtr> children{parse_unary()};
    for (;;) {
      skip_space();
      if (at_end() || peek() == ')' || at_keyword("or")) {
        break;
      }
      if (at_keyword("and")) {
        m_pos += 3;
        expect_term_after("and");
      }
      children.push_back(parse_unary());
    }
    return group(Node::Kind::And, std::move(children));
  }

  static NodePtr group(Node::Kind kind, std::vector<NodePtr> children) {
    if (children.size() == 1) {
      return children.front();
    }
    auto node = std::make_shared<Node>();
    node->kind = kind;
    node->children = std::move(children);
    return node;
  }

  NodePtr parse_unary() {
    skip_space();
    if (at_end()) {
      fail(m_pos, "expected a term");
    }
    const size_t start = m_pos;
    if (at_keyword("not")) {
      enter(start);
      m_pos += 3;
      expect_term_after("not");
      auto node = std::make_shared<Node>();
      node->kind = Node::Kind::Not;
      node->children.push_back(parse_unary());
      --m_depth;
      return node;
    }
    if (peek() == '(') {
      enter(start);
      ++m_pos;
      expect_term_after("(");
      NodePtr inner = parse_or();
      skip_space();
      if (peek() != ')') {
        fail(m_pos, "expected ')' to close the '(' at column " + std::to_string(column_of(m_text, start)));
      }
      ++m_pos;
      --m_depth;
      return inner;
    }
    if (peek() == ')') {
      fail(m_pos, "unexpected ')' without a matching '('");
    }
    if (at_keyword("and") || at_keyword("or")) {
      fail(m_pos, "expected a term before '" + lower(m_text.substr(m_pos, at_keyword("or") ? 2 : 3)) + "'");
    }
    return parse_term();
  }

  // A quoted text: "a b", with \" and \\ inside.
  std::string read_quoted() {
    const size_t open = m_pos++;
    std::string out;
    while (!at_end() && peek() != '"') {
      if (peek() == '\\' && m_pos + 1 < m_text.size()) {
        ++m_pos;
      }
      out += m_text[m_pos++];
    }
    if (at_end()) {
      fail(open, "expected a closing '\"' for the quote that starts here");
    }
    ++m_pos;
    return out;
  }

  // A value: quoted, or up to white space or a ')' that closes an outer group; parentheses inside it
  // must balance, so name~(a|b) keeps its group.
  std::string read_value() {
    if (peek() == '"') {
      return read_quoted();
    }
    const size_t start = m_pos;
    int depth = 0;
    while (!at_end() && !is_space(peek())) {
      if (peek() == '(') {
        ++depth;
      } else if (peek() == ')') {
        if (depth == 0) {
          break;
        }
        --depth;
      }
      ++m_pos;
    }
    return m_text.substr(start, m_pos - start);
  }

  // A field: a name, or an aggregate around a metric key, best(valid/accuracy).
  std::string read_field() {
    const size_t start = m_pos;
    while (!at_end() && !ends_word(peek())) {
      ++m_pos;
    }
    if (peek() == '(' && m_pos > start) {
      if (!aggregate_named(m_text.substr(start, m_pos - start))) {
        fail(start, "expected last, best, min or max before '(' (as in best(valid/accuracy))");
      }
      const size_t open = m_pos;
      while (!at_end() && peek() != ')' && !is_space(peek())) {
        ++m_pos;
      }
      if (peek() != ')') {
        fail(open, "expected a metric key and ')' after '('");
      }
      ++m_pos;
    }
    return m_text.substr(start, m_pos - start);
  }

  NodePtr parse_term() {
    const size_t start = m_pos;
    auto node = std::make_shared<Node>();
    if (peek() == '"') {
      node->kind = Node::Kind::Word;
      node->value = lower(read_quoted());
      return node;
    }
    const std::string field = read_field();
    if (field.empty()) {
      fail(start, std::string("expected a field or a word before '") + peek() + "'");
    }
    const size_t after_field = m_pos;
    skip_space();
    const size_t op_start = m_pos;
    std::string op;
    if (peek() == '>' || peek() == '<' || peek() == '!' || peek() == '=') {
      op += m_text[m_pos++];
      if (peek() == '=' && op != "=") {
        op += m_text[m_pos++];
      }
      if (op == "!") {
        fail(op_start, "expected '!=' (not equal)");
      }
    } else if (peek() == ':' || peek() == '~') {
      op += m_text[m_pos++];
    }
    if (op.empty()) {
      m_pos = after_field;
      node->kind = Node::Kind::Word;
      node->value = lower(field);
      return node;
    }
    try {
      node->field = RunField::parse(field);
    } catch (const ParseError& error) {
      fail(start, error.message());
    }
    skip_space();
    const size_t value_start = m_pos;
    const bool numeric_op = op == ">" || op == ">=" || op == "<" || op == "<=";
    if (at_end() || peek() == ')') {
      fail(value_start,
           std::string("expected ") + (numeric_op ? "a number" : "a value") + " after '" + op + "'");
    }
    node->value = read_value();
    node->number = parse_number(node->value);
    if (numeric_op) {
      if (!node->number) {
        fail(value_start, "expected a number after '" + op + "'");
      }
      node->kind = Node::Kind::Compare;
      node->op = op == ">"    ? Node::Op::Greater
                 : op == ">=" ? Node::Op::GreaterEqual
                 : op == "<"  ? Node::Op::Less
                              : Node::Op::LessEqual;
    } else if (op == "~") {
      if (node->value.size() > kMaxRegexLength) {
        fail(value_start,
             "expected a regular expression of at most " + std::to_string(kMaxRegexLength) + " characters");
      }
      try {
        node->regex = std::regex(node->value, std::regex::ECMAScript | std::regex::icase);
      } catch (const std::regex_error& error) {
        fail(value_start,
             std::string("expected a valid regular expression after '~' (") + error.what() + ")");
      }
      node->kind = Node::Kind::Regex;
    } else if (op == "!=") {
      node->kind = Node::Kind::NotEqual;
    } else {
      node->kind = Node::Kind::Match;  // ':' and '=' alike: numbers compare as numbers, texts ignoring case
    }
    return node;
  }

  const std::string& m_text;
  size_t m_pos = 0;
  int m_depth = 0;
};

void collect_paths(const json& node, const std::string& prefix, int depth, std::vector<std::string>& out) {
  if (depth > RunQuery::kMaxDepth) {
    return;
  }
  if (node.is_object() && !node.empty()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      collect_paths(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), depth + 1, out);
    }
  } else if (node.is_array() && !node.empty()) {
    for (size_t i = 0; i < node.size(); ++i) {
      collect_paths(node[i], prefix + "." + std::to_string(i), depth + 1, out);
    }
  } else if (!prefix.empty()) {
    out.push_back(prefix);
  }
}

}  // namespace

RunQuery RunQuery::parse(const std::string& text) {
  RunQuery query;
  query.m_text = text;
  query.m_root = Parser(text).parse();
  return query;
}

bool RunQuery::matches(const RunFacts& facts) const {
  return m_root == nullptr || m_root->matches(facts);
}

std::vector<RunFacts> filter_runs(const std::vector<RunFacts>& runs, const RunQuery& query) {
  std::vector<RunFacts> out;
  std::copy_if(runs.begin(), runs.end(), std::back_inserter(out),
               [&](const RunFacts& facts) { return query.matches(facts); });
  return out;
}

std::vector<std::string> config_leaf_paths(const json& config) {
  std::vector<std::string> out;
  collect_paths(config, "", 0, out);
  std::sort(out.begin(), out.end());
  return out;
}

std::string caret_line(const std::string& text, size_t column) {
  // Control characters would move the caret: they print as spaces here (the message names the column).
  std::string shown;
  for (char c : text) {
    shown += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
  }
  return "  " + shown + "\n  " + std::string(column > 0 ? column - 1 : 0, ' ') + "^";
}

}  // namespace zoolab
