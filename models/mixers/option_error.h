#pragma once

// The one way a mixer's constructor refuses an option it cannot use. The registry checks each kwarg
// against its ParamSpec first; this covers what only the mixer can judge (options that depend on each
// other, such as num_heads dividing d_model). The message names the mixer, the key and the value.

#include <stdexcept>
#include <string>

namespace zoolab {

// Throws std::invalid_argument("<mixer>: <key> <value> <why>").
[[noreturn]] inline void refuse_option(const std::string& mixer, const std::string& key,
                                       const std::string& value, const std::string& why) {
  throw std::invalid_argument(mixer + ": " + key + " " + value + " " + why);
}

}  // namespace zoolab
