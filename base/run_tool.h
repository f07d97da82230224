// A tool's main(): dispatches argv[1] to its command and turns every failure into one line on
// stderr. Exit codes: what the command returns; 1 for bad input (hat::Error or any other
// exception); 2 for a bad command line (UsageError, an unknown command, no command).
#pragma once

#include <exception>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace hat {

using Command = std::function<int(const std::vector<std::string>&)>;

// The one line printed for an exception that is neither hat::Error nor UsageError. The default
// is the first line of what(); a tool built on a library with its own exception type (LibTorch's
// c10::Error carries a backtrace) passes a describer that knows it.
using ErrorDescriber = std::function<std::string(const std::exception&)>;
std::string first_line_of_what(const std::exception& e);

// `top_help` is printed for no arguments (exit 2), --help, -h or help (exit 0); --version prints
// "<program> <version>". Command errors read "<program> <command>: error: <what>".
int run_tool(const std::string& program, const char* top_help,
             const std::map<std::string, Command>& commands, int argc, char** argv,
             const ErrorDescriber& describe = first_line_of_what);

}  // namespace hat
