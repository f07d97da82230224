#include "tests/test_env.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace hat::test {

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (!value)
    throw std::runtime_error(std::string("environment variable ") + name +
                             " is not set (run through meson test)");
  return value;
}

struct Scratch {
  std::filesystem::path root;
  int next = 0;
  Scratch() {
    char tmpl[] = "/tmp/hat-test-XXXXXX";
    root = mkdtemp(tmpl);
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
};

}  // namespace

std::string fixture(const std::string& name) { return env("HAT_FIXTURES") + "/" + name; }
std::string generated(const std::string& name) { return env("HAT_TEST_DATA") + "/" + name; }
std::string hat_model_tool() { return env("HAT_MODEL_TOOL"); }
std::string hat_eval_tool() { return env("HAT_EVAL_TOOL"); }
std::string hat_train_tool() { return env("HAT_TRAIN_TOOL"); }
std::string hat_gallery_tool() { return env("HAT_GALLERY_TOOL"); }
std::string python() { return env("HAT_PYTHON"); }

std::string source_root() { return env("HAT_SOURCE_ROOT"); }

std::string scratch_dir() {
  static Scratch scratch;
  auto dir = scratch.root / std::to_string(scratch.next++);
  std::filesystem::create_directories(dir);
  return dir.string();
}

CommandResult run(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

int line_count(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line))
    if (!line.empty()) ++n;
  return n;
}

}  // namespace hat::test
