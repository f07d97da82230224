// scripts/check_layers.py, the build's layer rule: a folder including a folder it may not, or a
// library family it must stay free of, fails with the file, the line and the rule; a clean
// folder passes and lists what it read for ninja.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/file_io.h"
#include "tests/test_env.h"

namespace hat {
namespace {

void write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

test::CommandResult check(const std::string& root, const std::string& folder,
                          const std::string& may_include, const std::string& forbid) {
  return test::run("python3 " + test::source_root() + "/scripts/check_layers.py --root " + root +
                   " --folder " + folder + " --may-include '" + may_include + "' --forbid '" +
                   forbid + "' --stamp " + root + "/" + folder + ".stamp --depfile " + root + "/" +
                   folder + ".d");
}

TEST(LayerCheck, AWrongIncludeFailsNamingFileLineAndRule) {
  const std::string root = test::scratch_dir();
  write(root + "/base/error.h", "#pragma once\n");
  write(root + "/model/config.h", "#pragma once\n");
  write(root + "/frame/crop.cpp",
        "#include \"base/error.h\"\n#include \"model/config.h\"\n#include <torch/torch.h>\n"
        "#include <opencv2/core.hpp>\n#include \"crop.h\"\n");
  const auto r = check(root, "frame", "base", "torch,gstreamer");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("frame/crop.cpp:2: includes \"model/config.h\", but frame/ may include "
                          "only base, frame"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("frame/crop.cpp:3: includes <torch/torch.h>, but frame/ must not "
                          "depend on LibTorch"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(test::line_count(r.output), 2) << "nothing for the allowed includes: " << r.output;
  EXPECT_FALSE(std::filesystem::exists(root + "/frame.stamp"));
}

TEST(LayerCheck, ACleanFolderPassesAndListsWhatItRead) {
  const std::string root = test::scratch_dir();
  write(root + "/base/error.h", "#pragma once\n");
  write(root + "/frame/crop.cpp", "#include \"base/error.h\"\n#include <opencv2/core.hpp>\n");
  write(root + "/frame/tools/view.cpp", "#include \"frame/crop.h\"\n");
  const auto r = check(root, "frame", "base", "torch,gstreamer");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(root + "/frame.stamp"));
  const std::string deps = read_file(root + "/frame.d");
  EXPECT_EQ(deps.rfind(root + "/frame.stamp: ", 0), 0u) << deps;
  for (const char* f : {"/frame/crop.cpp", "/frame/tools/view.cpp", "/frame/tools"})
    EXPECT_NE(deps.find(root + f), std::string::npos) << f << " in " << deps;
}

}  // namespace
}  // namespace hat
