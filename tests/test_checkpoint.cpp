// The project checkpoint: bit-exact round trip, atomic writes, and every kind of bad file.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "base/file_io.h"
#include "model/checkpoint.h"
#include "model/model_loader.h"
#include "tests/test_env.h"

namespace hat {
namespace {

Checkpoint tiny_checkpoint(int seed) {
  torch::manual_seed(seed);
  HatConfig c = preset("tiny");
  c.num_classes = 11;
  HatModel model(c);
  {  // non-default BN statistics, so that buffers are checked too
    torch::NoGradGuard ng;
    for (const auto& b : model->named_buffers())
      if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 1.5);
  }
  Checkpoint ckpt;
  ckpt.config = c;
  ckpt.preprocess = PreprocessConfig::for_model(c);
  ckpt.provenance = {{"dataset", "synthetic"}, {"epoch", 7}, {"metrics", {{"mAP", 0.5}}}};
  ckpt.state = module_state(*model);
  return ckpt;
}

void expect_same_weights(const StateDict& a, const StateDict& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& item : a) {
    ASSERT_TRUE(b.contains(item.key())) << item.key();
    EXPECT_TRUE(torch::equal(item.value(), b[item.key()])) << item.key();
  }
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string load_error(const std::string& path, const LoadOptions& options = {}) {
  try {
    load_model(path, options);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Checkpoint, SaveThenLoadIsBitExact) {
  const auto ckpt = tiny_checkpoint(1);
  const std::string path = test::scratch_dir() + "/tiny.hat";
  save_checkpoint(path, ckpt);
  const auto loaded = load_model(path);
  EXPECT_EQ(loaded.kind, ModelFileKind::kCheckpoint);
  EXPECT_TRUE(loaded.model->config() == ckpt.config);
  EXPECT_TRUE(loaded.preprocess == ckpt.preprocess);
  EXPECT_EQ(loaded.provenance, ckpt.provenance);
  expect_same_weights(module_state(*loaded.model), ckpt.state);
  // And again through the loaded model: the file is a fixed point.
  const std::string again = test::scratch_dir() + "/again.hat";
  save_checkpoint(again, loaded.to_checkpoint());
  EXPECT_EQ(read_file(path), read_file(again));
}

TEST(Checkpoint, ReadableFromPythonWithWeightsOnly) {
  const std::string path = test::scratch_dir() + "/py.hat";
  save_checkpoint(path, tiny_checkpoint(2));
  const auto r = test::run(test::python() + " " + test::source_root() +
                           "/tests/oracles/read_checkpoint.py " + path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("tiny"), std::string::npos) << r.output;
}

TEST(Checkpoint, FailedWriteKeepsThePreviousFile) {
  const std::string dir = test::scratch_dir(), path = dir + "/keep.hat";
  const auto first = tiny_checkpoint(3);
  save_checkpoint(path, first);
  const std::string before = read_file(path);
  // A full disk, simulated by a file-size limit (writes fail with EFBIG instead of a signal).
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  rlimit limit = old;
  limit.rlim_cur = 64 * 1024;
  setrlimit(RLIMIT_FSIZE, &limit);
  std::string message;
  try {
    save_checkpoint(path, tiny_checkpoint(4));
  } catch (const Error& e) {
    message = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &old);
  EXPECT_NE(message.find("cannot write " + path), std::string::npos) << message;
  EXPECT_EQ(read_file(path), before);
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) entries += e.is_regular_file();
  EXPECT_EQ(entries, 1) << "a temporary file was left behind";
  expect_same_weights(module_state(*load_model(path).model), first.state);
}

TEST(Checkpoint, MissingFile) {
  EXPECT_EQ(load_error("/nonexistent/model.hat"),
            "/nonexistent/model.hat: cannot open: No such file or directory");
}

TEST(Checkpoint, EmptyTruncatedAndCorruptFiles) {
  const std::string dir = test::scratch_dir();
  const std::string good = dir + "/good.hat";
  save_checkpoint(good, tiny_checkpoint(5));
  const std::string bytes = read_file(good);

  write_bytes(dir + "/empty.hat", "");
  EXPECT_EQ(load_error(dir + "/empty.hat"), dir + "/empty.hat: empty file");

  write_bytes(dir + "/truncated.hat", bytes.substr(0, bytes.size() / 2));
  const auto truncated = load_error(dir + "/truncated.hat");
  EXPECT_EQ(truncated.rfind(dir + "/truncated.hat: corrupt or truncated torch.save file", 0), 0u)
      << truncated;

  std::string flipped = bytes;
  for (size_t i = 64; i < flipped.size(); i += 4096) flipped[i] = static_cast<char>(~flipped[i]);
  write_bytes(dir + "/corrupt.hat", flipped);
  const auto corrupt = load_error(dir + "/corrupt.hat");
  EXPECT_EQ(corrupt.rfind(dir + "/corrupt.hat: ", 0), 0u) << corrupt;

  write_bytes(dir + "/text.hat", "not a model\n");
  EXPECT_EQ(load_error(dir + "/text.hat"),
            dir + "/text.hat: not a torch.save file (no zip header)");
  for (const auto& m : {truncated, corrupt}) EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

TEST(Checkpoint, OtherPresetIsRejected) {
  const std::string path = test::scratch_dir() + "/tiny.hat";
  save_checkpoint(path, tiny_checkpoint(6));
  LoadOptions options;
  options.expect_preset = "hat-r50";
  EXPECT_EQ(load_error(path, options), path + ": holds preset 'tiny', expected 'hat-r50'");
}

TEST(Checkpoint, WeightsThatDoNotFitTheConfigurationAreRejected) {
  // A checkpoint that claims hat-r18 but carries tiny's weights.
  auto ckpt = tiny_checkpoint(7);
  ckpt.config = preset("hat-r18");
  ckpt.config.num_classes = 11;
  const std::string path = test::scratch_dir() + "/mixed.hat";
  save_checkpoint(path, ckpt);
  EXPECT_EQ(load_error(path), path + ": missing key 'aggregation.refine1.1.conv1.weight'");
}

}  // namespace
}  // namespace hat

namespace hat {
namespace {

// The inputs with which fuzz_model_file once crashed the reader (tests/fuzz/regressions): each
// is now a one-line hat::Error naming the file. One of them (a zip64 record pointing outside the
// file) made LibTorch's zip reader read out of bounds before model/zip_container.h checked it.
TEST(ModelFile, EveryFuzzRegressionInputIsAOneLineErrorNamingTheFile) {
  const std::string dir = test::source_root() + "/tests/fuzz/regressions/model_file";
  int inputs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++inputs;
    const std::string path = entry.path().string();
    try {
      load_model(path);
      ADD_FAILURE() << path << " loaded";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind(path, 0), 0u) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
  EXPECT_GE(inputs, 2);
}

}  // namespace
}  // namespace hat
