// The hat-model command: its subcommands end to end, and bad input as one-line errors with a
// non-zero exit.
#include <gtest/gtest.h>

#include <fstream>

#include <torch/serialize.h>

#include "base/file_io.h"
#include "inference/npy.h"
#include "model/checkpoint.h"
#include "model/state_dict.h"
#include "tests/test_env.h"

namespace hat {
namespace {

std::string tool() { return test::hat_model_tool(); }
std::string reference() { return test::generated("reference-weights.pth"); }
std::string crops() {
  std::string s;
  for (int i = 0; i < 4; ++i) s += " " + test::fixture("parity/crop" + std::to_string(i) + ".png");
  return s;
}

// A failed command: exit code 1 or 2, exactly one line of output, naming `what`.
void expect_one_line_error(const test::CommandResult& r, const std::string& what, int code = 1) {
  EXPECT_EQ(r.exit_code, code) << r.output;
  EXPECT_EQ(test::line_count(r.output), 1) << r.output;
  EXPECT_NE(r.output.find(what), std::string::npos) << "expected '" << what << "' in: " << r.output;
}

TEST(HatModelCli, HelpForEverySubcommand) {
  for (const std::string cmd : {"info", "convert", "embed", "bench", "bench-preprocess"}) {
    const auto r = test::run(tool() + " " + cmd + " --help");
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_EQ(r.output.rfind("usage: hat-model " + cmd, 0), 0u) << r.output;
  }
  const auto top = test::run(tool() + " --help");
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.output.find("commands:"), std::string::npos);
}

TEST(HatModelCli, EmbedReferenceThenConvertGivesTheSameEmbeddings) {
  const std::string dir = test::scratch_dir();
  auto r = test::run(tool() + " embed --model " + reference() + " --batch 2 --output " + dir +
                     "/ref.npy" + crops());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto direct = read_npy(dir + "/ref.npy");
  const auto expected = read_npy(test::fixture("parity/expected_embeddings.npy"));
  EXPECT_LT(((direct - expected).norm() / expected.norm()).item<double>(), 1e-4);

  r = test::run(tool() + " convert " + reference() + " " + dir + "/hat-r50.hat");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run(tool() + " embed --model " + dir + "/hat-r50.hat --batch 2 --output " + dir +
                "/ckpt.npy" + crops());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(torch::equal(read_npy(dir + "/ckpt.npy"), direct));

  r = test::run(tool() + " info " + dir + "/hat-r50.hat");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("preset:         hat-r50"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("HAT reference state dict"), std::string::npos)
      << r.output;  // provenance
}

TEST(HatModelCli, EmbedRowsFollowArgumentOrderAndSimilarityTable) {
  const std::string dir = test::scratch_dir();
  const std::string c0 = test::fixture("parity/crop0.png"), c2 = test::fixture("parity/crop2.png");
  const auto r = test::run(tool() + " embed --similarity --model " + reference() + " --output " +
                           dir + "/o.npy " + c2 + " " + c0 + " " + c2);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("cosine similarity"), std::string::npos);
  const auto e = read_npy(dir + "/o.npy");
  const auto expected = read_npy(test::fixture("parity/expected_embeddings.npy"));
  EXPECT_LT(((e[0] - expected[2]).norm() / expected[2].norm()).item<double>(), 1e-4);
  EXPECT_LT(((e[1] - expected[0]).norm() / expected[0].norm()).item<double>(), 1e-4);
  EXPECT_TRUE(torch::equal(e[0], e[2]));
}

TEST(HatModelCli, ModelFileErrors) {
  const std::string dir = test::scratch_dir();
  const std::string img = test::fixture("parity/crop0.png");
  auto embed = [&](const std::string& model) {
    return test::run(tool() + " embed --model " + model + " --output " + dir + "/x.npy " + img);
  };
  expect_one_line_error(embed(dir + "/missing.hat"), dir + "/missing.hat: cannot open");
  std::ofstream(dir + "/garbage.pth") << "garbage";
  expect_one_line_error(embed(dir + "/garbage.pth"), dir + "/garbage.pth: not a torch.save file");
  for (const std::string bad :
       {"ordered_dict.pth", "whole_model.pth", "legacy.pth", "training_checkpoint.pth"}) {
    const auto r = embed(test::generated(bad));
    expect_one_line_error(r, test::generated(bad) + ": ");
    EXPECT_NE(r.output.find("to_plain_state_dict.py"), std::string::npos) << r.output;
  }
  // The converter named in those messages turns them into plain dicts that load (and are then
  // recognised as not being a re-ID model at all).
  const auto conv = test::run(test::python() + " " + test::source_root() +
                              "/model/tools/to_plain_state_dict.py " +
                              test::generated("whole_model.pth") + " " + dir + "/plain.pth");
  ASSERT_EQ(conv.exit_code, 0) << conv.output;
  expect_one_line_error(embed(dir + "/plain.pth"),
                        dir + "/plain.pth: a state dict of an unknown model");
  expect_one_line_error(embed(test::generated("resnet18.pth")), "an ImageNet backbone only");
  EXPECT_FALSE(std::ifstream(dir + "/x.npy").good());  // nothing written on failure
}

TEST(HatModelCli, ReferenceWithMissingKeyIsNamed) {
  const std::string path = test::scratch_dir() + "/broken.pth";
  {
    const auto ref = read_state_dict_file(reference());
    c10::Dict<std::string, torch::Tensor> dict;
    for (const auto& item : ref)
      if (item.key() != "bottleneck_t3.running_mean") dict.insert(item.key(), item.value());
    const auto bytes = torch::pickle_save(dict);
    write_file_atomically(path, bytes.data(), bytes.size());
  }
  expect_one_line_error(test::run(tool() + " info " + path),
                        path + ": missing key 'heads.level3.bn.running_mean'");
}

TEST(HatModelCli, ImageErrors) {
  const std::string dir = test::scratch_dir();
  std::ofstream(dir + "/empty.png").close();
  std::ofstream(dir + "/notes.jpg") << "text";
  for (const std::string img : {"/empty.png", "/notes.jpg", "/missing.png"}) {
    const auto r = test::run(tool() + " embed --model " + reference() + " --output " + dir +
                             "/x.npy " + dir + img);
    expect_one_line_error(r, dir + img + ": missing, unreadable or not an image");
  }
}

TEST(HatModelCli, UsageErrorsExitWithTwo) {
  expect_one_line_error(test::run(tool() + " embed --model m --output o.npy --batch 0 a.png"),
                        "--batch must be", 2);
  expect_one_line_error(test::run(tool() + " embed --model m --output o.npy"), "missing IMAGE", 2);
  expect_one_line_error(test::run(tool() + " bench --batch 2"),
                        "exactly one of --model and --preset", 2);
  expect_one_line_error(test::run(tool() + " frobnicate"), "unknown command", 2);
  expect_one_line_error(test::run(tool() + " bench --preset tiny --device gpu"),
                        "invalid device 'gpu'", 1);
  expect_one_line_error(test::run(tool() + " info --preset hat-r9"), "unknown preset 'hat-r9'", 1);
  expect_one_line_error(test::run(tool() + " bench --preset tiny --precision fp8"),
                        "invalid precision 'fp8'", 1);
  expect_one_line_error(test::run(tool() + " bench --preset tiny --cuda-graphs"),
                        "CUDA graphs need a CUDA device", 1);
  expect_one_line_error(test::run(tool() + " bench-preprocess --format YUY2"),
                        "invalid pixel format 'YUY2'", 1);
}

TEST(HatModelCli, BenchReportsThroughputAndGemmFraction) {
  const std::string json = test::scratch_dir() + "/bench.json";
  const auto r = test::run(
      tool() + " bench --preset tiny --batch 4 --warmup 1 --iterations 2 --seconds 0 --json " +
      json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* field :
       {"crops/s:", "latency / batch:", "fp32 GEMM rate:", "fraction of GEMM:", "peak memory:"})
    EXPECT_NE(r.output.find(field), std::string::npos) << field;
  const auto j = nlohmann::json::parse(read_file(json));
  EXPECT_GT(j["crops_per_second"].get<double>(), 0);
  EXPECT_GT(j["gemm_fraction"].get<double>(), 0);
  EXPECT_EQ(j["precision"], "fp32");
}

TEST(HatModelCli, BenchPreprocessReportsFramesAndCrops) {
  const std::string json = test::scratch_dir() + "/preprocess.json";
  const auto r = test::run(tool() +
                           " bench-preprocess --format I420 --width 320 --height 240 --boxes 3 "
                           "--seconds 1 --json " +
                           json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("I420 320x240, 3 boxes"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("CPU path:"), std::string::npos) << r.output;
  const auto j = nlohmann::json::parse(read_file(json));
  EXPECT_GT(j["cpu_frames_per_second"].get<double>(), 0);
  EXPECT_DOUBLE_EQ(j["cpu_crops_per_second"].get<double>(),
                   3 * j["cpu_frames_per_second"].get<double>());
  EXPECT_EQ(j["device_frames_per_second"].get<double>(), 0);  // no device path asked for
}

}  // namespace
}  // namespace hat
