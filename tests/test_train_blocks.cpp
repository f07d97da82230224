// The trainer's building blocks: schedule, P x K sampler, losses, augmentations, optimiser groups
// and one deeply supervised training step.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <map>
#include <set>

#include "base/error.h"
#include "model/state_dict.h"
#include "train/augmentations.h"
#include "train/losses.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"
#include "train/pk_sampler.h"
#include "train/train_config.h"

namespace hat {
namespace {

TEST(TrainConfig, OverridesSetNestedKeysAndCreateSectionsNotYetGiven) {
  nlohmann::json config = nlohmann::json::object();
  apply_override(config, "train.max_batches_per_epoch=8");  // hat-train adapt's "train" section
  apply_override(config, "loss.margin=0.5");
  apply_override(config, "preset=hat-mnv2");
  EXPECT_EQ(config["train"]["max_batches_per_epoch"], 8);
  EXPECT_EQ(config["loss"]["margin"], 0.5);
  EXPECT_EQ(config["preset"], "hat-mnv2");
  EXPECT_THROW(apply_override(config, "preset.x=1"), Error);  // not a section
  EXPECT_THROW(apply_override(config, "no-equals"), Error);
  config.erase("train");
  const TrainConfig c = train_config_from_json(config);
  EXPECT_DOUBLE_EQ(c.loss.margin, 0.5);
  EXPECT_THROW(train_config_from_json({{"epochs", "many"}}), Error);
  EXPECT_THROW(train_config_from_json({{"no_such_key", 1}}), Error);
}

// Regressions of fuzz_train_config (docs/RELIABILITY.md): one-line hat::Errors, not JSON's.
TEST(TrainConfig, AConfigurationThatIsNotAnObjectOrAnInvalidUtf8ValueIsAOneLineError) {
  nlohmann::json number = 5;
  EXPECT_THROW(apply_override(number, "epochs=2"), Error);
  nlohmann::json config = nlohmann::json::object();
  apply_override(config, "epochs=\xff\xfe");  // a bare word, not UTF-8
  try {
    train_config_from_json(config);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'epochs' has the wrong type"), std::string::npos);
  }
}

TEST(LrSchedule, WarmupThenStepsOfPointFour) {
  LrSchedule s;
  s.milestones = LrSchedule::every(50, 20, 150);
  EXPECT_EQ(s.milestones, (std::vector<int>{50, 70, 90, 110, 130}));
  EXPECT_DOUBLE_EQ(s.lr_at(0), 4e-6);
  EXPECT_DOUBLE_EQ(s.lr_at(5), 4e-4 * (0.01 * 0.5 + 0.5));
  EXPECT_DOUBLE_EQ(s.lr_at(10), 4e-4);
  EXPECT_DOUBLE_EQ(s.lr_at(49), 4e-4);
  EXPECT_DOUBLE_EQ(s.lr_at(50), 4e-4 * 0.4);
  EXPECT_DOUBLE_EQ(s.lr_at(70), 4e-4 * 0.4 * 0.4);
  EXPECT_NEAR(s.lr_at(149), 4e-4 * std::pow(0.4, 5), 1e-15);
}

TEST(PkSampler, EveryBatchHoldsPIdentitiesOfKImages) {
  std::vector<int> labels;
  for (int id = 0; id < 10; ++id)
    for (int i = 0; i < (id == 3 ? 2 : 7); ++i)
      labels.push_back(id);  // identity 3 has fewer than K
  PkSampler sampler(labels, 4, 4, 42);
  const auto batches = sampler.epoch(0);
  ASSERT_FALSE(batches.empty());
  bool saw_short_identity = false;
  for (const auto& batch : batches) {
    ASSERT_EQ(batch.size(), 16u);
    std::map<int, int> per_id;
    for (int i : batch) ++per_id[labels[i]];
    EXPECT_EQ(per_id.size(), 4u);
    for (const auto& [id, n] : per_id) {
      EXPECT_EQ(n, 4) << id;
      saw_short_identity |= id == 3;
    }
  }
  EXPECT_TRUE(saw_short_identity);  // drawn with replacement
  EXPECT_EQ(sampler.epoch(0), batches);
  EXPECT_NE(sampler.epoch(1), batches);
  EXPECT_NE(PkSampler(labels, 4, 4, 43).epoch(0), batches);
}

TEST(PkSampler, HardNegativesAreBatchedSideBySide) {
  // 12 identities of 4 images; 0-1, 2-3, ... 10-11 are hard negative pairs (label 12 has no
  // image, so the pairs must survive the compaction of labels). With equal image counts every
  // member's partner has images left whenever the member does, so every batch is made of whole
  // pairs; without the pairs, plain P x K sampling splits most of them.
  std::vector<int> labels;
  std::vector<std::pair<int, int>> pairs;
  for (int id = 0; id < 12; ++id) {
    for (int i = 0; i < 4; ++i) labels.push_back(id == 11 ? 13 : id);
    if (id % 2 == 1) pairs.emplace_back(id - 1, id == 11 ? 13 : id);
  }
  auto partner = [](int id) { return id == 13 ? 10 : id == 10 ? 13 : id ^ 1; };
  auto split_pairs = [&](const std::vector<std::vector<int>>& batches) {
    int split = 0;
    for (const auto& batch : batches) {
      std::set<int> ids;
      for (int i : batch) ids.insert(labels[i]);
      EXPECT_EQ(ids.size(), 4u);
      for (int id : ids) split += ids.count(partner(id)) == 0;
    }
    return split;
  };
  const PkSampler hard(labels, 4, 2, 7, pairs);
  for (int epoch = 0; epoch < 5; ++epoch) {
    const auto batches = hard.epoch(epoch);
    EXPECT_EQ(batches.size(), 6u);  // 24 groups of K = 2, four per batch
    EXPECT_EQ(split_pairs(batches), 0) << "epoch " << epoch;
    EXPECT_EQ(hard.epoch(epoch), batches);  // still a function of (seed, epoch)
  }
  EXPECT_GT(split_pairs(PkSampler(labels, 4, 2, 7).epoch(0)), 6);
}

TEST(PkSampler, AHardNegativeOfAnUnknownIdentityIsAnError) {
  const std::vector<int> labels = {0, 0, 1, 1, 2, 2};
  EXPECT_THROW(PkSampler(labels, 2, 2, 0, {{0, 5}}), Error);
  EXPECT_THROW(PkSampler(labels, 2, 2, 0, {{1, 1}}), Error);
  EXPECT_NO_THROW(PkSampler(labels, 2, 2, 0, {{0, 2}}));
}

TEST(PkSampler, TooFewIdentitiesIsAnError) {
  EXPECT_THROW(PkSampler({0, 0, 1}, 4, 2, 0), std::exception);
}

TEST(Losses, BatchHardTripletOnHandMadeDistances) {
  // 1-D features 0, 1 (identity 0) and 3, 5 (identity 1). Hardest positive / nearest negative:
  // 0: 1 / 3 -> 0;  1: 1 / 2 -> 0;  3: 2 / 2 -> 0.3;  5: 2 / 4 -> 0.  Mean 0.075.
  const auto f = torch::tensor({{0.0f}, {1.0f}, {3.0f}, {5.0f}});
  const auto labels = torch::tensor({0, 0, 1, 1}, torch::kInt64);
  EXPECT_NEAR(batch_hard_triplet(f, labels, 0.3).item<double>(), 0.075, 1e-6);
  // Anchors with no positive are left out.
  EXPECT_NEAR(batch_hard_triplet(torch::tensor({{0.0f}, {1.0f}, {3.0f}}),
                                 torch::tensor({0, 0, 1}, torch::kInt64), 0.3)
                  .item<double>(),
              0.0, 1e-6);
}

TEST(Losses, LabelSmoothedCrossEntropy) {
  const auto labels = torch::tensor({0}, torch::kInt64);
  EXPECT_NEAR(label_smoothed_cross_entropy(torch::zeros({1, 4}), labels, 0.1).item<double>(),
              std::log(4.0), 1e-6);
  const double nll = std::log(1 + std::exp(-2.0)), other = std::log(1 + std::exp(2.0));
  EXPECT_NEAR(
      label_smoothed_cross_entropy(torch::tensor({{2.0f, 0.0f}}), labels, 0.1).item<double>(),
      0.9 * nll + 0.1 * (nll + other) / 2, 1e-6);
}

class Augment : public ::testing::Test {
 protected:
  PreprocessConfig p = [] {
    PreprocessConfig c;
    c.height = 32;
    c.width = 16;
    return c;
  }();
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
  torch::Tensor image = torch::arange(3 * 32 * 16, torch::kFloat32).view({3, 32, 16}) / 1000;
};

TEST_F(Augment, PadCropKeepsSizeAndShiftsContent) {
  const auto out = random_pad_crop(image, 10, p, gen);
  EXPECT_EQ(out.sizes(), image.sizes());
  // Every output pixel is either black padding or an input pixel shifted by one offset.
  bool found = false;
  for (int dy = -10; dy <= 10 && !found; ++dy)
    for (int dx = -10; dx <= 10 && !found; ++dx) {
      auto shifted = torch::full_like(image, 0);
      for (int c = 0; c < 3; ++c) shifted[c].fill_((0 - p.mean[c]) / p.std[c]);
      const int y0 = std::max(0, dy), x0 = std::max(0, dx), y1 = std::min(32, 32 + dy),
                x1 = std::min(16, 16 + dx);
      if (y1 <= y0 || x1 <= x0) continue;
      shifted.narrow(1, y0, y1 - y0)
          .narrow(2, x0, x1 - x0)
          .copy_(image.narrow(1, y0 - dy, y1 - y0).narrow(2, x0 - dx, x1 - x0));
      found = torch::equal(shifted, out);
    }
  EXPECT_TRUE(found);
}

TEST_F(Augment, FlipWithProbability) {
  EXPECT_TRUE(torch::equal(random_flip(image, 1.0, gen), image.flip({2})));
  EXPECT_TRUE(torch::equal(random_flip(image, 0.0, gen), image));
}

TEST_F(Augment, ErasingFillsOneRectangleWithTheMean) {
  AugmentOptions o;
  o.erase_probability = 1.0;
  const auto out = random_erasing(image, o, p, gen);
  const auto changed = (out != image).any(0);
  const int64_t area = changed.sum().item<int64_t>();
  EXPECT_GE(area, static_cast<int64_t>(0.02 * 32 * 16 * 0.5));
  EXPECT_LE(area, static_cast<int64_t>(0.4 * 32 * 16 * 1.5));
  for (int c = 0; c < 3; ++c)
    EXPECT_TRUE(torch::allclose(out[c].masked_select(changed), torch::full({area}, p.mean[c])));
  o.erase_probability = 0.0;
  EXPECT_TRUE(torch::equal(random_erasing(image, o, p, gen), image));
}

TEST_F(Augment, SameSeedSameAugmentation) {
  auto a = at::make_generator<at::CPUGeneratorImpl>(7),
       b = at::make_generator<at::CPUGeneratorImpl>(7);
  EXPECT_TRUE(torch::equal(augment(image, {}, p, a), augment(image, {}, p, b)));
}

TEST(TrainingStep, TinyStepIsFiniteChangesWeightsAndHalvesTransformerLr) {
  torch::manual_seed(0);
  HatConfig c = preset("tiny");
  c.num_classes = 4;
  HatModel model(c);
  model->train();
  OptimizerOptions oo;
  auto opt = make_optimizer(*model, oo);
  set_learning_rate(*opt, 1e-3, oo);
  const auto& groups = opt->param_groups();
  EXPECT_DOUBLE_EQ(static_cast<const torch::optim::AdamOptions&>(groups[1].options()).lr(), 5e-4);
  EXPECT_DOUBLE_EQ(static_cast<const torch::optim::AdamOptions&>(groups[0].options()).lr(), 1e-3);
  // Group 1 is exactly the Transformer blocks.
  std::set<const void*> in_blocks;
  for (const auto& t : groups[1].params()) in_blocks.insert(t.data_ptr());
  for (const auto& p : model->named_parameters())
    EXPECT_EQ(in_blocks.count(p.value().data_ptr()) > 0,
              p.key().find(".blocks.") != std::string::npos)
        << p.key();

  const auto x = torch::randn({8, 3, 128, 64});
  const auto labels = torch::tensor({0, 0, 1, 1, 2, 2, 3, 3}, torch::kInt64);
  const auto before = module_state(*model);
  std::map<std::string, torch::Tensor> copy;
  for (const auto& item : before) copy[item.key()] = item.value().clone();
  opt->zero_grad();
  const auto terms = deep_supervision_loss(model->forward_train(x), labels, {});
  terms.total.backward();
  opt->step();
  EXPECT_TRUE(std::isfinite(terms.total.item<double>()));
  for (int b = 0; b < 4; ++b) {
    EXPECT_TRUE(std::isfinite(terms.identity[b].item<double>()));
    EXPECT_TRUE(std::isfinite(terms.triplet[b].item<double>()));
  }
  const auto after = module_state(*model);
  for (const char* key : {"backbone.conv1.weight", "aggregation.tfc2.blocks.0.attn.qkv.weight",
                          "heads.level1.classifier.weight"})
    EXPECT_FALSE(torch::equal(copy[key], after[key])) << key;
  EXPECT_TRUE(torch::equal(copy["heads.global.bn.bias"], after["heads.global.bn.bias"]));  // frozen
}

}  // namespace
}  // namespace hat
