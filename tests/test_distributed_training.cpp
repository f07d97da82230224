// Data-parallel hat-train (train/process_group, the trainer's slices, the --nproc launcher) with
// c10d's Gloo backend on loopback: two processes reach the weights of one process that trains
// the same global batch in the same two slices; a data-parallel run resumes exactly; a killed
// worker makes the others stop with a clear error instead of hanging. With two GPUs, the same
// equivalence over NCCL.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <regex>
#include <string>

#include "base/file_io.h"
#include "model/model_loader.h"
#include "model/state_dict.h"
#include "tests/cuda_skip.h"
#include "tests/loopback_port.h"
#include "tests/test_env.h"

namespace hat {
namespace {

const std::string& dataset() {
  static const std::string root = [] {
    const std::string dir = test::scratch_dir() + "/data";
    const auto r = test::run(test::hat_train_tool() + " synth --layout market1501 --out " + dir +
                             " --ids 16 --seed 3");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return dir;
  }();
  return root;
}

// A few steps of the tiny preset: P x K = 4 x 2, three batches per epoch. One intra-op thread
// in every process: LibTorch's reductions then add in the same order everywhere (Adam turns
// float rounding in near-zero gradients into visible steps).
std::string train_command(const std::string& output, int epochs) {
  return test::hat_train_tool() + " train --dataset market1501 --root " + dataset() +
         " --preset tiny --seed 11 --quiet --set threads=1 --epochs " + std::to_string(epochs) +
         " --set p=4 --set k=2 --set max_batches_per_epoch=3 --set eval_every=0"
         " --set checkpoint_every=1 --output " +
         output;
}

std::string port_options() { return " --master-port " + std::to_string(test::free_port()); }

// The largest |a - b| / max|b| over the tensors of the two models' state dicts.
double max_relative_difference(const std::string& a_path, const std::string& b_path) {
  const auto a = load_model(a_path), b = load_model(b_path);
  const auto sa = module_state(*a.model), sb = module_state(*b.model);
  EXPECT_EQ(sa.size(), sb.size());
  double worst = 0;
  for (const auto& item : sa) {
    const auto x = item.value().to(torch::kFloat64), y = sb[item.key()].to(torch::kFloat64);
    const double scale = std::max(y.abs().max().item<double>(), 1e-12);
    const double d = (x - y).abs().max().item<double>() / scale;
    if (d > 1e-5) std::printf("  %s differs by %.2e\n", item.key().c_str(), d);
    worst = std::max(worst, d);
  }
  return worst;
}

// ||a - b|| / ||b|| over every weight of the two models at once.
double global_relative_difference(const std::string& a_path, const std::string& b_path) {
  const auto a = load_model(a_path), b = load_model(b_path);
  const auto sa = module_state(*a.model), sb = module_state(*b.model);
  double diff = 0, norm = 0;
  for (const auto& item : sa) {
    const auto x = item.value().to(torch::kFloat64), y = sb[item.key()].to(torch::kFloat64);
    diff += (x - y).pow(2).sum().item<double>();
    norm += y.pow(2).sum().item<double>();
  }
  return std::sqrt(diff / std::max(norm, 1e-30));
}

TEST(DistributedTraining, TwoGlooProcessesReachTheWeightsOfOneProcessTrainingTheSameSlices) {
  const std::string dir = test::scratch_dir();
  auto r = test::run(train_command(dir + "/one", 2) + " --grad-accumulation 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run(train_command(dir + "/two", 2) + " --nproc 2" + port_options());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("trained tiny on market1501 for 2 epochs"), std::string::npos)
      << r.output;
  const double worst = max_relative_difference(dir + "/two/model.hat", dir + "/one/model.hat");
  std::printf(
      "2 processes vs 1 process accumulating the same 2 slices: max relative weight "
      "difference %.2e\n",
      worst);
  EXPECT_LT(worst, 1e-5);
  // Slicing matters: one process on the whole batch at once (BatchNorm and triplet mining over
  // all 4 identities) is another run.
  r = test::run(train_command(dir + "/whole", 2));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_GT(max_relative_difference(dir + "/whole/model.hat", dir + "/one/model.hat"), 1e-4);
  // Only rank 0 writes the run folder; its log has every epoch.
  EXPECT_EQ(test::line_count(read_file(dir + "/two/log.jsonl")), 2);
}

TEST(DistributedTraining,
     TwoNcclProcessesOnTwoGpusReachTheWeightsOfOneProcessTrainingTheSameSlices) {
  if (test::no_cuda()) GTEST_SKIP() << "SKIPPED: no CUDA device on this machine";
  if (torch::cuda::device_count() < 2)
    GTEST_SKIP() << "SKIPPED: NCCL needs two CUDA devices, this machine has one";
  const std::string dir = test::scratch_dir();
  const std::string fp32 = " --device cuda --set amp=off";
  auto r = test::run(train_command(dir + "/one", 2) + fp32 + " --grad-accumulation 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run(train_command(dir + "/two", 2) + fp32 + " --nproc 2" + port_options());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // cuDNN's kernels are not bit-reproducible, and Adam turns rounding in near-zero gradients
  // into whole steps: the weights as a whole, not each tensor, against a looser bar.
  const double d = global_relative_difference(dir + "/two/model.hat", dir + "/one/model.hat");
  std::printf("NCCL, 2 GPUs vs 1 GPU accumulating the same 2 slices: %.2e of the weights\n", d);
  EXPECT_LT(d, 1e-3);
}

TEST(DistributedTraining, ADataParallelRunResumesExactly) {
  const std::string dir = test::scratch_dir();
  auto r = test::run(train_command(dir + "/straight", 2) + " --nproc 2" + port_options());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run(train_command(dir + "/resumed", 1) + " --nproc 2" + port_options());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run(train_command(dir + "/resumed", 2) + " --nproc 2 --resume" + port_options());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(max_relative_difference(dir + "/resumed/model.hat", dir + "/straight/model.hat"), 0.0);
}

TEST(DistributedTraining, AKilledWorkerStopsTheOthersWithAClearErrorInsteadOfAHang) {
  const std::string dir = test::scratch_dir();
  const std::string long_run = train_command(dir + "/run", 500) + " --dist-timeout 60";
  // Two workers started by hand, as torchrun or another launcher would: rank 1 is killed.
  const std::string port = std::to_string(test::free_port());
  auto r = test::run(
      "export WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port + "; RANK=0 " + long_run +
      " >" + dir + "/rank0.log 2>&1 & a=$!; RANK=1 " + long_run + " >" + dir +
      "/rank1.log 2>&1 & b=$!; sleep 6; kill -9 $b; start=$(date +%s%N); wait $a; code=$?;"
      " echo \"rank0 exit $code after $(( ($(date +%s%N) - start) / 1000000 )) ms\"; cat " +
      dir + "/rank0.log");
  std::printf("%s\n", r.output.c_str());
  EXPECT_NE(r.output.find("rank0 exit 1 "), std::string::npos) << r.output;
  // The dead peer is noticed in whichever collective comes next (the gradients, the BatchNorm
  // statistics or the epoch's losses, depending on where rank 1 was killed).
  EXPECT_TRUE(
      std::regex_search(r.output, std::regex("rank 0 of 2: [a-zA-Z' ]+ failed "
                                             "\\(another worker died or timed out after 60 s\\)")))
      << r.output;
  int ms = 1 << 30;
  std::sscanf(r.output.substr(r.output.find("after ")).c_str(), "after %d ms", &ms);
  EXPECT_LT(ms, 30000) << "rank 0 waited for the dead worker";

  // Through the launcher: one of its workers is killed, it stops the other and says which.
  r = test::run(
      long_run + " --nproc 2" + port_options() + " >" + dir +
      "/launcher.log 2>&1 & l=$!; sleep 6; kill -9 $(cut -d' ' -f2 /proc/$l/task/$l/children);"
      " start=$(date +%s%N); wait $l; code=$?; echo \"launcher exit $code after"
      " $(( ($(date +%s%N) - start) / 1000000 )) ms\"; cat " +
      dir + "/launcher.log");
  std::printf("%s\n", r.output.c_str());
  EXPECT_NE(r.output.find("launcher exit 1 "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("hat-train: worker rank 1 was killed by signal 9; stopped the other"),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace hat
