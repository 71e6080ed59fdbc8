#include "engine/util/strict_json.h"

#include <set>
#include <vector>

namespace zoolab {
namespace {

using nlohmann::json;

// One open object or array while parsing, and where in it the parser is.
struct Frame {
  bool is_array = false;
  std::string key;             // objects: the key whose value is being read
  std::set<std::string> keys;  // objects: the keys seen so far
  size_t elements = 0;         // arrays: elements started so far
};

// "model.sequence_mixer.kwargs", "data.train[0]"; "" for the top level.
std::string path_of(const std::vector<Frame>& frames, size_t count) {
  std::string path;
  for (size_t i = 0; i < count; ++i) {
    if (frames[i].is_array) {
      path += "[" + std::to_string(frames[i].elements == 0 ? 0 : frames[i].elements - 1) + "]";
    } else {
      path += (path.empty() ? "" : ".") + frames[i].key;
    }
  }
  return path;
}

// what() reads "[json.exception.parse_error.101] parse error at line 3, column 5: ..."; the bracket is
// noise to a user.
std::string without_nlohmann_prefix(const std::string& message) {
  const size_t bracket = message.find("] ");
  if (message.rfind("[json.exception", 0) == 0 && bracket != std::string::npos) {
    return message.substr(bracket + 2);
  }
  return message;
}

}  // namespace

json parse_strict_json(std::string_view text) {
  std::vector<Frame> frames;
  // nlohmann calls back with the number of containers open around the event (see json_sax.hpp):
  // for a value or a container start that is its parent's depth; for a key, the depth of its object.
  const json::parser_callback_t check = [&frames](int depth, json::parse_event_t event, json& parsed) {
    const auto open = static_cast<size_t>(depth);
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
      case json::parse_event_t::value:
        if (open > 0 && open <= frames.size() && frames[open - 1].is_array) {
          ++frames[open - 1].elements;
        }
        if (event == json::parse_event_t::value) {
          break;
        }
        if (open + 1 > static_cast<size_t>(kMaxJsonDepth)) {
          throw JsonSyntaxError(path_of(frames, std::min(open, frames.size())),
                                "JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                                    " levels; zoolab's files never need more");
        }
        frames.resize(open);
        frames.push_back(Frame{event == json::parse_event_t::array_start, {}, {}, 0});
        break;
      case json::parse_event_t::key: {
        if (open == 0 || open > frames.size()) {
          break;  // cannot happen: a key is always inside an object
        }
        Frame& object = frames[open - 1];
        const std::string key = parsed.get<std::string>();
        if (!object.keys.insert(key).second) {
          const std::string parent = path_of(frames, open - 1);
          throw JsonSyntaxError(parent.empty() ? key : parent + "." + key,
                                "duplicate key \"" + key + "\" " +
                                    (parent.empty() ? std::string("at the top level") : "in " + parent) +
                                    "; each key may appear once in an object");
        }
        object.key = key;
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames.resize(std::min(open, frames.size()));
        break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), check);
  } catch (const json::parse_error& error) {
    throw JsonSyntaxError({}, "invalid JSON: " + without_nlohmann_prefix(error.what()) + " (byte " +
                                  std::to_string(error.byte) + ")");
  } catch (const json::out_of_range& error) {
    // A number past a double's range ("1e400") is nlohmann's out_of_range.406, not a parse error. Its
    // text is the number as written: digits, sign, '.', 'e', nothing to escape.
    throw JsonSyntaxError({}, "invalid JSON: " + without_nlohmann_prefix(error.what()));
  }
}

}  // namespace zoolab
