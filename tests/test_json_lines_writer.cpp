// base/json_lines_writer: whole lines, replace and append, concurrent writers, and one-line
// errors for a file that cannot be opened or written.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/file_io.h"
#include "base/json_lines_writer.h"
#include "tests/test_env.h"

namespace hat {
namespace {

std::vector<nlohmann::json> lines_of(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(JsonLinesWriter, WritesOneFlushedLinePerValueAndReplacesOrAppends) {
  const std::string path = test::scratch_dir() + "/events.jsonl";
  {
    JsonLinesWriter w(path, JsonLinesWriter::Mode::kReplace);
    w.write({{"frame", 0}});
    // Flushed as it goes: a reader sees the line before the writer closes.
    EXPECT_EQ(read_file(path), "{\"frame\":0}\n");
    w.write({{"frame", 1}, {"text", "a\nb"}});
    w.close();
    w.close();                // idempotent
    w.write({{"frame", 2}});  // after close: nothing
  }
  auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["text"], "a\nb") << "newlines inside values stay escaped";
  JsonLinesWriter(path, JsonLinesWriter::Mode::kAppend).write({{"frame", 3}});
  EXPECT_EQ(lines_of(path).size(), 3u);
  JsonLinesWriter(path, JsonLinesWriter::Mode::kReplace).write({{"frame", 4}});
  lines = lines_of(path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["frame"], 4);
}

TEST(JsonLinesWriter, LinesFromSeveralThreadsNeverInterleave) {
  const std::string path = test::scratch_dir() + "/events.jsonl";
  {
    JsonLinesWriter w(path, JsonLinesWriter::Mode::kReplace);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 500; ++i)
          w.write({{"thread", t}, {"i", i}, {"pad", std::string(200, 'x')}});
      });
    for (auto& t : threads) t.join();
  }
  const auto lines = lines_of(path);  // every line parses
  ASSERT_EQ(lines.size(), 2000u);
  std::vector<int> next(4, 0);
  for (const auto& l : lines) {
    const int t = l["thread"];
    EXPECT_EQ(l["i"], next[static_cast<size_t>(t)]++) << "each thread's lines in its order";
  }
}

TEST(JsonLinesWriter, UnopenableAndUnwritableFilesAreOneLineErrorsNamingThem) {
  try {
    JsonLinesWriter w("/nonexistent/dir/events.jsonl", JsonLinesWriter::Mode::kAppend);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/dir/events.jsonl: cannot open for writing: No such file or directory");
  }
  JsonLinesWriter full("/dev/full", JsonLinesWriter::Mode::kReplace);  // a full disk
  try {
    full.write({{"frame", 0}});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "/dev/full: write failed: No space left on device");
  }
}

}  // namespace
}  // namespace hat
