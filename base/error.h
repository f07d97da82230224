// The project's error type: one line that says what went wrong and where (file, key, line).
#pragma once

#include <stdexcept>
#include <string>

namespace hat {

// Thrown for bad input (files, keys, values). Command-line tools print what() as a single line
// and exit non-zero; GStreamer elements turn it into an element error.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace hat
