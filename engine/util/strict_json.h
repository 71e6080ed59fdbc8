#pragma once

// The one way zoolab parses JSON that comes from outside the program (config and sweep files, --set
// values, tokenizer files, the JSON headers of binary files, rows read back from a database):
//   - nesting deeper than kMaxJsonDepth is refused while parsing, so neither the parser nor a later
//     dump() or walk can exhaust the stack (a 200 KB file of "[[[[..." is enough otherwise);
//   - a key that appears twice in one object is refused, naming its path: nlohmann would keep the
//     later one, so a second "model" object would silently replace the first;
//   - syntax errors keep nlohmann's line and column, without its "[json.exception...]" prefix.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/util/input_error.h"

namespace zoolab {

inline constexpr int kMaxJsonDepth = 64;

class JsonSyntaxError : public InputError {
 public:
  // `where` is the JSON path of the offending value ("model.sequence_mixer"), empty for a syntax error.
  JsonSyntaxError(std::string where, const std::string& message)
      : InputError(message), m_where(std::move(where)) {}
  const std::string& where() const { return m_where; }

 private:
  std::string m_where;
};

// Parses `text` under the rules above; throws JsonSyntaxError with a message such as
// `duplicate key "model" at the top level` or `invalid JSON at line 3, column 5: ...`.
nlohmann::json parse_strict_json(std::string_view text);

}  // namespace zoolab
