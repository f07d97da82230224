#include "inference/torch_error_line.h"

#include <c10/util/Exception.h>

#include "base/run_tool.h"

namespace hat {

std::string torch_error_line(const std::exception& e) {
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&e)) {
    const std::string what = torch_error->what_without_backtrace();
    return what.substr(0, what.find('\n'));
  }
  return first_line_of_what(e);
}

}  // namespace hat
