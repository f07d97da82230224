// Where the tests find fixtures, generated data and the tools (set by tests/meson.build), plus
// a scratch folder and a way to run a command and capture its output.
#pragma once

#include <string>

namespace hat::test {

// A file in tests/fixtures/.
std::string fixture(const std::string& name);
// A file that the build generated for the tests (reference weights, oracle outputs).
std::string generated(const std::string& name);
// The hat-model and hat-eval executables.
std::string hat_model_tool();
std::string hat_eval_tool();
std::string hat_train_tool();
std::string hat_gallery_tool();
// The Python that has torch, torchvision and numpy.
std::string python();
std::string source_root();
// A fresh, empty folder, removed at exit.
std::string scratch_dir();

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
CommandResult run(const std::string& command);

// Number of non-empty lines.
int line_count(const std::string& text);

}  // namespace hat::test
