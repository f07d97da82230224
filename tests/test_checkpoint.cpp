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
#include "model/pickle_check.h"
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

namespace hat {
namespace {

std::string from_hex(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return bytes;
}

std::string pickle_error(const std::string& pickle) {
  try {
    check_pickle_lengths(pickle.data(), pickle.size(), "x.pth: archive/data.pkl");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// What Python's pickle writes of {'name': 'hello', 'raw': b'ab', 'n': [1, 300000, 2.5],
// 't': ('x' * 70, None)} at protocol 2 (BINUNICODE, GLOBAL's lines, REDUCE) and 4 (FRAME,
// SHORT_BINUNICODE, SHORT_BINBYTES, MEMOIZE): the independent oracle of the opcode table. The
// 70 x's follow the opcode at offset 122 (protocol 2: BINUNICODE, 4-byte length) and 68 (protocol
// 4: SHORT_BINUNICODE, 1-byte length, inside a FRAME of 135 bytes at offset 2).
const std::string kSeventyX = std::string(70, 'x');
const std::string kProtocol2 =
    from_hex(
        "80027d71002858040000006e616d657101580500000068656c6c6f710258030000007261777103635f"
        "636f646563730a656e636f64650a710458020000006162710558060000006c6174696e3171068671"
        "0752710858010000006e71095d710a284b014ae093040047400400000000000065580100000074710b"
        "5846000000") +
    kSeventyX + from_hex("710c4e86710d752e");
const std::string kProtocol4 =
    from_hex(
        "80049587000000000000007d94288c046e616d65948c0568656c6c6f948c037261779443026162948c"
        "016e945d94284b014ae0930400474004000000000000658c0174948c46") +
    kSeventyX + from_hex("944e8694752e");

TEST(PickleCheck, PicklesAsPythonWritesThemPass) {
  ASSERT_EQ(kProtocol2.size(), 205u);
  ASSERT_EQ(kProtocol4.size(), 146u);
  EXPECT_EQ(pickle_error(kProtocol2), "");
  EXPECT_EQ(pickle_error(kProtocol4), "");
}

TEST(PickleCheck, ALengthBeyondTheEndIsRefusedWithWhereAndHowMuch) {
  std::string damaged = kProtocol2;
  damaged.replace(123, 4, "\xff\xff\xff\xff");  // BINUNICODE's length: 4 GiB - 1
  EXPECT_EQ(pickle_error(damaged),
            "x.pth: archive/data.pkl: corrupt or truncated pickle (the opcode at offset 122 "
            "declares 4294967295 bytes, 78 are left)");
  damaged = kProtocol4;
  damaged[3] = '\x88';  // the frame one byte longer than the rest of the pickle
  EXPECT_EQ(pickle_error(damaged),
            "x.pth: archive/data.pkl: corrupt or truncated pickle (the opcode at offset 2 "
            "declares 136 bytes, 135 are left)");
}

TEST(PickleCheck, EveryCutInsideAStringIsRefused) {
  for (size_t cut = 127; cut < 127 + 70; ++cut)  // protocol 2: the x's are bytes 127..196
    EXPECT_EQ(pickle_error(kProtocol2.substr(0, cut)),
              "x.pth: archive/data.pkl: corrupt or truncated pickle (the opcode at offset 122 "
              "declares 70 bytes, " +
                  std::to_string(cut - 127) + " are left)");
  for (size_t cut = 11; cut < kProtocol4.size(); ++cut)  // protocol 4: the frame comes first
    EXPECT_EQ(pickle_error(kProtocol4.substr(0, cut)),
              "x.pth: archive/data.pkl: corrupt or truncated pickle (the opcode at offset 2 "
              "declares 135 bytes, " +
                  std::to_string(cut - 11) + " are left)");
}

// The fuzz input that made LibTorch zero-fill 4 GiB for a string it then found missing: refused
// by the check, before LibTorch reads the pickle.
TEST(PickleCheck, TheFourGibStringOfTheFuzzRegressionIsRefusedBeforeLibTorchReadsIt) {
  const std::string path =
      test::source_root() + "/tests/fuzz/regressions/model_file/pickle-string-length-4-gib";
  const std::string error = load_error(path);
  EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
  EXPECT_NE(error.find("data.pkl: corrupt or truncated pickle (the opcode at offset"),
            std::string::npos)
      << error;
}

}  // namespace
}  // namespace hat

namespace hat {
namespace {

// A LONG_BINPUT naming memo entry 2^31 - 1 of an empty memo: LibTorch would grow its memo table
// to 2^31 values (fuzz_model_file's 10-minute run: a 2.5-GB allocation).
TEST(PickleCheck, AMemoEntryThatSkipsAheadIsRefused) {
  const std::string pickle = std::string("\x80\x02]r\xff\xff\xff\x7f.", 9);
  EXPECT_EQ(pickle_error(pickle),
            "x.pth: archive/data.pkl: corrupt pickle (the opcode at offset 3 stores memo entry "
            "2147483647, after 0 entries)");
  EXPECT_EQ(pickle_error(std::string("\x80\x02]q\x00]q\x01]r\x01\x00\x00\x00.", 15)), "");
  EXPECT_EQ(pickle_error(kProtocol2), "");  // BINPUT 0, 1, 2, ... as Python numbers them
}

// A tensor whose sizes reach past its storage, as a damaged file's metadata can make it.
TEST(StateDictFile, ATensorReachingBeyondItsStorageIsRefused) {
  c10::impl::GenericDict dict(c10::StringType::get(), c10::TensorType::get());
  torch::Tensor fits = torch::zeros({4});
  torch::Tensor beyond = torch::zeros({4});
  beyond.unsafeGetTensorImpl()->set_sizes_and_strides(c10::IntArrayRef{10}, c10::IntArrayRef{1});
  dict.insert("fits", fits);
  EXPECT_NO_THROW(to_state_dict(dict, "w.pth"));
  dict.insert("beyond", beyond);
  try {
    to_state_dict(dict, "w.pth");
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "w.pth: entry 'beyond' reaches beyond its data (a corrupt file)");
  }
}

}  // namespace
}  // namespace hat
