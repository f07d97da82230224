// How the tools print LibTorch's own exceptions: c10::Error's what() carries a C++ backtrace, so
// the one-line error takes the first line of its message without it. Passed by each executable
// to base/run_tool (which knows nothing of LibTorch).
#pragma once

#include <exception>
#include <string>

namespace hat {

// The first line of c10::Error's message without the backtrace; of what() for other exceptions.
std::string torch_error_line(const std::exception& e);

}  // namespace hat
