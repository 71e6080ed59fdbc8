#pragma once

// Input from outside the program that cannot be used: a damaged or hostile file, a size past a limit,
// a JSON document that breaks the rules. zoolab-cli reports it with exit code 2, as it does a
// configuration error; the message names the file or field and what is allowed.

#include <stdexcept>

namespace zoolab {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace zoolab
