// Shapes and modes of every module of the HAT network, and the presets' size and compute.
#include <gtest/gtest.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "model/aggregation.h"
#include "model/flops.h"
#include "model/hat_model.h"
#include "model/resnet.h"
#include "model/state_dict.h"
#include "model/tfc.h"
#include "model/transformer.h"

namespace hat {
namespace {

int64_t count_parameters(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

TEST(ResNet, StageShapesOfResNet50At256x128) {
  torch::manual_seed(0);
  ResNet net(preset("hat-r50"));
  net->eval();
  torch::NoGradGuard ng;
  const auto s = net->forward(torch::randn({2, 3, 256, 128}));
  EXPECT_EQ(s[0].sizes(), (std::vector<int64_t>{2, 256, 64, 32}));
  EXPECT_EQ(s[1].sizes(), (std::vector<int64_t>{2, 512, 32, 16}));
  EXPECT_EQ(s[2].sizes(), (std::vector<int64_t>{2, 1024, 16, 8}));
  EXPECT_EQ(s[3].sizes(), (std::vector<int64_t>{2, 2048, 8, 4}));  // last stride 2
}

TEST(ResNet, LastStrideOneKeepsLayer4AtTheTokenGrid) {
  HatConfig c = preset("hat-r18");
  c.last_stride = 1;
  ResNet net(c);
  torch::NoGradGuard ng;
  const auto s = net->forward(torch::randn({1, 3, 256, 128}));
  EXPECT_EQ(s[0].sizes(), (std::vector<int64_t>{1, 64, 64, 32}));
  EXPECT_EQ(s[3].sizes(), (std::vector<int64_t>{1, 512, 16, 8}));
}

TEST(ResNet, StemHasNoReluUnlessConfigured) {
  // With no stem ReLU, negative stem outputs survive into layer1's input and change it.
  torch::manual_seed(1);
  HatConfig without = preset("tiny"), with = preset("tiny");
  with.stem_relu = true;
  ResNet a(without), b(with);
  load_state(*b, module_state(*a), "test");
  a->eval();
  b->eval();
  torch::NoGradGuard ng;
  const auto x = torch::randn({1, 3, 128, 64});
  EXPECT_FALSE(torch::allclose(a->forward(x)[0], b->forward(x)[0]));
}

TEST(Bottleneck, RefineBlockKeepsShapeWithIdentityShortcut) {
  Bottleneck block(256, 64, 256, 1);
  const auto names = module_state(*block).keys();
  EXPECT_EQ(std::count_if(names.begin(), names.end(),
                          [](const std::string& k) { return k.rfind("downsample", 0) == 0; }),
            0);
  EXPECT_EQ(block->forward(torch::randn({2, 256, 16, 8})).sizes(),
            (std::vector<int64_t>{2, 256, 16, 8}));
}

TEST(Attention, ShapeAndScaleChoice) {
  torch::manual_seed(2);
  HatConfig c = preset("tiny");
  Attention by_model(128, 4, 16, 1.0 / std::sqrt(128.0), 0.0),
      by_head(128, 4, 16, 1.0 / std::sqrt(16.0), 0.0);
  load_state(*by_head, module_state(*by_model), "test");
  const auto x = torch::randn({3, 33, 128});
  const auto y = by_model->forward(x);
  EXPECT_EQ(y.sizes(), x.sizes());
  EXPECT_FALSE(torch::allclose(y, by_head->forward(x), 1e-4, 1e-5));
}

TEST(Attention, MatchesExplicitSoftmaxAttention) {
  torch::manual_seed(3);
  const int64_t dim = 64, heads = 4, hd = 8;
  const double scale = 1.0 / std::sqrt(64.0);
  Attention attn(dim, heads, hd, scale, 0.0);
  attn->eval();
  const auto x = torch::randn({2, 9, dim});
  const auto st = module_state(*attn);
  const auto qkv =
      torch::matmul(x, st["qkv.weight"].t()).view({2, 9, 3, heads, hd}).permute({2, 0, 3, 1, 4});
  const auto p = torch::softmax(torch::matmul(qkv[0], qkv[1].transpose(-1, -2)) * scale, -1);
  const auto o = torch::matmul(p, qkv[2]).transpose(1, 2).reshape({2, 9, heads * hd});
  const auto expected = torch::matmul(o, st["proj.weight"].t()) + st["proj.bias"];
  EXPECT_TRUE(torch::allclose(attn->forward(x), expected, 1e-5, 1e-5));
}

TEST(TransformerBlock, DropoutOnlyInTraining) {
  torch::manual_seed(4);
  TransformerBlock block(64, preset("tiny"));
  const auto x = torch::randn({2, 5, 64});
  block->eval();
  EXPECT_TRUE(torch::equal(block->forward(x), block->forward(x)));
  block->train();
  EXPECT_FALSE(torch::equal(block->forward(x), block->forward(x)));
}

TEST(Tfc, MapAndClsOutputs) {
  const HatConfig c = preset("tiny");  // 128x64 input: an 8x4 grid
  Tfc first(c, 0, true), last(c, 2, false);
  const auto out = first->forward(torch::randn({2, c.tfc_in_dim(0), 8, 4}));
  EXPECT_EQ(out.map.sizes(), (std::vector<int64_t>{2, 32, 8, 4}));
  EXPECT_EQ(out.cls.sizes(), (std::vector<int64_t>{2, 32}));
  const auto tail = last->forward(torch::randn({2, c.tfc_in_dim(2), 8, 4}));
  EXPECT_FALSE(tail.map.defined());  // the last TFC's map output is not computed
  EXPECT_EQ(tail.cls.sizes(), (std::vector<int64_t>{2, 128}));
  EXPECT_EQ(module_state(*first)["pos_embedding"].sizes(), (std::vector<int64_t>{1, 33, 32}));
}

TEST(Tfc, ReferenceDimensions) {
  const HatConfig c = preset("hat-r50");
  EXPECT_EQ(c.tfc_in_dim(0), 256);
  EXPECT_EQ(c.tfc_in_dim(1), 768);
  EXPECT_EQ(c.tfc_in_dim(2), 1792);
  Tfc t3(c, 2, false);
  const auto st = module_state(*t3);
  EXPECT_EQ(st["embed.weight"].sizes(), (std::vector<int64_t>{2048, 1792}));
  EXPECT_EQ(st["blocks.5.attn.qkv.weight"].sizes(), (std::vector<int64_t>{3072, 2048}));
  EXPECT_EQ(st["blocks.5.ff.fc1.weight"].sizes(), (std::vector<int64_t>{2048, 2048}));
  EXPECT_FALSE(st.contains("nea.conv1.weight"));
}

TEST(Aggregation, ClsPerLevel) {
  const HatConfig c = preset("tiny");
  ResNet backbone(c);
  Aggregation agg(c);
  const auto cls = agg->forward(backbone->forward(torch::randn({2, 3, 128, 64})));
  EXPECT_EQ(cls[0].sizes(), (std::vector<int64_t>{2, 32}));
  EXPECT_EQ(cls[1].sizes(), (std::vector<int64_t>{2, 64}));
  EXPECT_EQ(cls[2].sizes(), (std::vector<int64_t>{2, 128}));
}

TEST(HatModel, TrainingForwardGivesFourLogitsAndPreBnFeatures) {
  HatConfig c = preset("tiny");
  c.num_classes = 7;
  HatModel model(c);
  model->train();
  const auto out = model->forward_train(torch::randn({4, 3, 128, 64}));
  const std::array<int64_t, 4> dims = {512, 32, 64, 128};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(out.logits[i].sizes(), (std::vector<int64_t>{4, 7})) << i;
    EXPECT_EQ(out.features[i].sizes(), (std::vector<int64_t>{4, dims[i]})) << i;
  }
}

TEST(HatModel, EvalEmbeddingIsGlobalAndLevel3AfterBn) {
  torch::manual_seed(5);
  HatModel model(preset("tiny"));
  model->eval();
  torch::NoGradGuard ng;
  const auto x = torch::randn({3, 3, 128, 64});
  const auto e = model->embed(x);
  EXPECT_EQ(e.sizes(), (std::vector<int64_t>{3, 640}));
  EXPECT_TRUE(torch::equal(e, model->embed(x)));  // deterministic: no dropout in eval
  // Equals BN(feature) by hand with the running statistics.
  const auto f = model->features(x);
  const auto st = module_state(*model);
  auto bn = [&](const torch::Tensor& v, const std::string& head) {
    return (v - st["heads." + head + ".bn.running_mean"]) /
               torch::sqrt(st["heads." + head + ".bn.running_var"] + 1e-5) *
               st["heads." + head + ".bn.weight"] +
           st["heads." + head + ".bn.bias"];
  };
  EXPECT_TRUE(
      torch::allclose(e, torch::cat({bn(f[0], "global"), bn(f[3], "level3")}, 1), 1e-5, 1e-5));
}

TEST(HatModel, BatchOfOneWorks) {  // the reference's squeeze() breaks here
  HatModel model(preset("tiny"));
  model->eval();
  torch::NoGradGuard ng;
  EXPECT_EQ(model->embed(torch::randn({1, 3, 128, 64})).sizes(), (std::vector<int64_t>{1, 640}));
}

TEST(HatModel, BnNeckBiasIsFrozenAndClassifierHasNoBias) {
  HatConfig c = preset("tiny");
  c.num_classes = 5;
  HatModel model(c);
  for (const auto& p : model->named_parameters()) {
    if (p.key().find(".bn.bias") != std::string::npos) {
      EXPECT_FALSE(p.value().requires_grad()) << p.key();
    }
    EXPECT_EQ(p.key().find("classifier.bias"), std::string::npos);
  }
  EXPECT_TRUE(module_state(*model).contains("heads.level2.classifier.weight"));
}

TEST(HatModel, ReadableStateDictNames) {
  const auto st = module_state(*HatModel(preset("tiny")));
  for (const char* key :
       {"backbone.conv1.weight", "backbone.layer1.0.bn1.running_var",
        "aggregation.refine1.0.conv2.weight", "aggregation.tfc1.cls_token",
        "aggregation.tfc2.blocks.0.attn.qkv.weight", "aggregation.tfc2.blocks.0.ff.fc2.bias",
        "aggregation.tfc2.nea.bn3.weight", "heads.global.bn.running_mean"})
    EXPECT_TRUE(st.contains(key)) << key;
}

TEST(HatModel, ReferenceParameterCount) {
  // 159.29 M without classifiers (the reference's effective size: docs/MODEL.md).
  EXPECT_EQ(count_parameters(*HatModel(preset("hat-r50"))), 159294272);
}

TEST(Presets, ComputeBudget) {
  const double r50 = count_flops(preset("hat-r50")).total();
  EXPECT_NEAR(r50 / 1e9, 42.5, 0.1);
  EXPECT_LE(count_flops(preset("hat-r18")).total(), r50 / 8);
  EXPECT_LT(count_flops(preset("tiny")).total(), count_flops(preset("hat-r18")).total());
}

TEST(Presets, UnknownNameAndInvalidConfigAreRejected) {
  EXPECT_THROW(preset("hat-r101"), Error);
  HatConfig c = preset("tiny");
  c.input_height = 100;
  EXPECT_THROW(c.validate(), Error);
  EXPECT_THROW(HatModel{c}, Error);
}

TEST(Presets, JsonRoundTrip) {
  for (const auto& name : preset_names()) {
    const HatConfig c = preset(name);
    EXPECT_TRUE(config_from_json(to_json(c)) == c) << name;
  }
}

TEST(HatModel, TinyTrainingStepIsQuickAndLearns) {
  torch::manual_seed(6);
  HatConfig c = preset("tiny");
  c.num_classes = 16;
  HatModel model(c);
  model->train();
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));
  const auto x = torch::randn({16, 3, 128, 64});
  const auto labels = torch::arange(16) % 16;
  const auto before = module_state(*model)["aggregation.tfc3.embed.weight"].clone();
  const auto start = std::chrono::steady_clock::now();
  opt.zero_grad();
  const auto out = model->forward_train(x);
  auto loss = torch::zeros({});
  for (const auto& logits : out.logits) loss = loss + torch::cross_entropy_loss(logits, labels);
  loss.backward();
  opt.step();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(std::isfinite(loss.item<double>()));
  EXPECT_FALSE(torch::equal(before, module_state(*model)["aggregation.tfc3.embed.weight"]));
  EXPECT_LT(seconds, 10.0);  // about a second on 2 cores; generous for loaded CI machines
  std::cout << "tiny training step (batch 16): " << seconds << " s\n";
}

}  // namespace
}  // namespace hat
