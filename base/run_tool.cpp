#include "base/run_tool.h"

#include <iostream>

#include "base/arg_parser.h"
#include "base/error.h"
#include "base/version.h"

namespace hat {

std::string first_line_of_what(const std::exception& e) {
  const std::string what = e.what();
  return what.substr(0, what.find('\n'));
}

int run_tool(const std::string& program, const char* top_help,
             const std::map<std::string, Command>& commands, int argc, char** argv,
             const ErrorDescriber& describe) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << top_help;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::cout << program << " " << kVersion << "\n";
    return 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  const auto it = commands.find(command);
  if (it == commands.end()) {
    std::cerr << program << ": unknown command '" << command << "' (see " << program
              << " --help)\n";
    return 2;
  }
  const std::string where = program + " " + command;
  try {
    return it->second(args);
  } catch (const UsageError& e) {
    std::cerr << where << ": " << e.what() << " (see " << where << " --help)\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << where << ": error: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << where << ": error: " << describe(e) << "\n";
  }
  return 1;
}

}  // namespace hat
