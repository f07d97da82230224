// The training engine on synthetic data: exact resume, learning from chance to a clearly learnt
// level, the run folder's files, and the hat-train command.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <opencv2/imgcodecs.hpp>

#include "base/error.h"
#include "base/file_io.h"
#include "evaluation/evaluator.h"
#include "evaluation/labels_io.h"
#include "evaluation/readers.h"
#include "model/model_loader.h"
#include "model/state_dict.h"
#include "tests/cuda_skip.h"
#include "tests/test_env.h"
#include "train/synthetic_dataset.h"
#include "train/trainer.h"

namespace hat {
namespace {

std::string dataset(int ids) {
  static std::map<int, std::string> made;
  if (!made.count(ids)) {
    SynthOptions o;
    o.out = test::scratch_dir();
    o.ids = ids;
    o.seed = 3;
    std::ostringstream log;
    write_synthetic_dataset(o, log);
    made[ids] = o.out;
  }
  return made[ids];
}

TrainConfig small_run(const std::string& output, int epochs) {
  TrainConfig c;
  c.dataset = "market1501";
  c.root = dataset(16);
  c.output = output;
  c.preset = "tiny";
  c.epochs = epochs;
  c.p = 4;
  c.k = 2;
  c.max_batches_per_epoch = 2;
  c.checkpoint_every = 1;
  c.eval_every = 0;
  c.seed = 11;
  c.progress = false;
  return c;
}

// Six full epochs on 40 identities, evaluated every 3: enough to learn clearly.
TrainConfig learning_run() {
  TrainConfig c = small_run(test::scratch_dir(), 6);
  c.root = dataset(40);
  c.p = 8;
  c.k = 4;
  c.max_batches_per_epoch = 0;
  c.warmup_epochs = 1;
  c.lr = 1e-3;
  c.eval_every = 3;
  return c;
}

TEST(Trainer, ResumeGivesExactlyTheUninterruptedRun) {
  std::ostringstream log;
  const std::string straight = test::scratch_dir(), interrupted = test::scratch_dir();
  Trainer(small_run(straight, 2), log).run(false);
  Trainer(small_run(interrupted, 1), log).run(false);  // stops after half the steps
  Trainer(small_run(interrupted, 2), log).run(true);   // a new process resumes
  const auto a = load_model(straight + "/model.hat"), b = load_model(interrupted + "/model.hat");
  const auto sa = module_state(*a.model), sb = module_state(*b.model);
  for (const auto& item : sa) EXPECT_TRUE(torch::equal(item.value(), sb[item.key()])) << item.key();
  EXPECT_EQ(read_file(straight + "/log.jsonl").size() > 0, true);
  EXPECT_NE(log.str().find("resumed " + interrupted + "/last.hat after epoch 1"),
            std::string::npos);
}

TEST(Trainer, LearnsFromChanceToAClearlyLearntLevel) {
  TrainConfig c = learning_run();
  std::ostringstream log;
  Trainer trainer(c, log);
  const double before = trainer.evaluate().mAP;
  // Chance: the same protocol on random features.
  std::ostringstream quiet;
  const auto d = read_dataset("market1501", c.root, {}, quiet);
  torch::manual_seed(1);
  const double chance = evaluate(torch::randn({static_cast<int64_t>(d.query.size()), 64}),
                                 torch::randn({static_cast<int64_t>(d.gallery.size()), 64}),
                                 labels_of(d.query), labels_of(d.gallery), {})
                            .metrics.mAP;
  trainer.run(false);
  const double after = trainer.history().back().metrics["mAP"].get<double>();
  std::cout << "synthetic market1501 (20 test identities): mAP chance " << 100 * chance
            << " %, untrained " << 100 * before << " %, after 6 epochs " << 100 * after << " %\n";
  EXPECT_GT(after, chance + 0.2);
  EXPECT_GT(after, before + 0.08);
  EXPECT_GT(after, 0.35);
}

// The CUDA path: channels-last weights, bf16 (and fp16 with loss scaling) autocast, and the
// evaluation's embeddings on the GPU; it must learn as the CPU run does.
TEST(Trainer, LearnsOnCudaWithMixedPrecision) {
  if (test::no_cuda()) GTEST_SKIP() << "SKIPPED: no CUDA device on this machine";
  for (const char* amp : {"bf16", "fp16"}) {
    TrainConfig c = learning_run();
    c.device = "cuda";
    c.amp = amp;
    std::ostringstream log;
    Trainer trainer(c, log);
    const double before = trainer.evaluate().mAP;
    trainer.run(false);
    const double after = trainer.history().back().metrics["mAP"].get<double>();
    std::cout << "CUDA, " << amp << " autocast: mAP untrained " << 100 * before
              << " %, after 6 epochs " << 100 * after << " %\n";
    EXPECT_GT(after, before + 0.08) << amp;
    EXPECT_GT(after, 0.35) << amp;
    const auto model = load_model(c.output + "/model.hat");  // saved as float32, loads on CPU
    for (const auto& p : model.model->parameters()) ASSERT_EQ(p.scalar_type(), torch::kFloat32);
  }
}

TEST(Trainer, RunFolderHoldsLogCurvesAndLoadableModels) {
  const std::string out = test::scratch_dir() + "/run";
  std::ostringstream log;
  Trainer(small_run(out, 2), log).run(false);
  std::ifstream lines(out + "/log.jsonl");
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["epoch"], ++count);
    EXPECT_EQ(j["identity_loss"].size(), 4u);
    EXPECT_GT(j["images_per_second"].get<double>(), 0);
  }
  EXPECT_EQ(count, 2);
  EXPECT_FALSE(cv::imread(out + "/curves.png").empty());
  const auto model = load_model(out + "/model.hat");
  EXPECT_EQ(model.provenance["dataset"], "market1501");
  EXPECT_EQ(model.provenance["epoch"], 2);
  EXPECT_TRUE(model.provenance["metrics"].contains("mAP"));  // the final metrics
  EXPECT_EQ(model.model->config().num_classes, 8);
  EXPECT_EQ(nlohmann::json::parse(read_file(out + "/config.json"))["preset"], "tiny");
}

TEST(Trainer, HatMnv2StartsFromTheImageNetMobileNetV2) {
  const std::string weights = test::source_root() + "/data/pretrained/mobilenetv2-imagenet.pth";
  TrainConfig c = small_run(test::scratch_dir() + "/run", 1);
  c.preset = "hat-mnv2";
  c.pretrained = weights;
  c.max_batches_per_epoch = 1;
  c.lr = 1e-6;  // one step that barely moves the weights
  c.warmup_epochs = 0;
  std::ostringstream log;
  Trainer(c, log).run(false);
  const auto model = load_model(c.output + "/model.hat");
  EXPECT_EQ(model.model->config().preset, "hat-mnv2");
  EXPECT_EQ(model.provenance["pretrained"], weights);
  const auto imagenet = read_state_dict_file(weights);
  const auto trained = module_state(*model.model);
  for (const std::string key : {"features.0.0.weight", "features.18.1.running_var"}) {
    const auto& a = imagenet[key];
    const auto& b = trained["backbone." + key];
    EXPECT_LT(((a - b).norm() / a.norm()).item<double>(), 0.05) << key;
  }
  c.preset = "hat-r18";  // ResNet-18 with MobileNetV2 weights
  c.output = test::scratch_dir() + "/r18";
  try {
    Trainer(c, log);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              weights + ": holds a mobilenetv2, but preset 'hat-r18' uses a resnet18");
  }
}

TEST(Trainer, ATestOnlyFolderIsAnErrorThatSaysWhatIsMissing) {
  const std::string root = test::scratch_dir();
  for (const std::string split : {"query", "bounding_box_test"})
    std::filesystem::copy(dataset(16) + "/Market-1501-v15.09.15/" + split, root + "/" + split);
  TrainConfig c = small_run(test::scratch_dir() + "/run", 1);
  c.root = root;
  std::ostringstream log;
  try {
    Trainer(c, log);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              root +
                  ": no training images (market1501 needs bounding_box_train/ or train/ to "
                  "train; hat-eval run evaluates it)");
  }
}

TEST(HatTrainCli, SynthTrainAndErrors) {
  const std::string dir = test::scratch_dir();
  const std::string tool = test::hat_train_tool();
  auto r = test::run(tool + " synth --layout dukemtmc --out " + dir + "/data --ids 12 --seed 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run(tool + " --dataset dukemtmc --root " + dir + "/data --preset tiny --output " + dir +
                "/run --epochs 1 --quiet --set p=4 --set k=2 --set max_batches_per_epoch=1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("model: " + dir + "/run/model.hat"), std::string::npos) << r.output;
  r = test::run(tool + " --dataset dukemtmc --root " + dir + "/data --output " + dir +
                "/run2 --set nonsense=1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("unknown key 'nonsense'"), std::string::npos) << r.output;
  r = test::run(tool + " --dataset dukemtmc --root " + dir + "/data --preset tiny --output " + dir +
                "/empty --resume --quiet --set p=4 --set k=2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find(dir + "/empty/last.hat: cannot open"), std::string::npos) << r.output;
  r = test::run(tool + " bench --preset tiny --batch 16 --steps 1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("images/s"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace hat
