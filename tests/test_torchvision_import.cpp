// torchvision ResNet-18/34/50 state dicts in the backbone, against torchvision itself: the same
// random weights and input give the same layer1..layer4 outputs
// (tests/oracles/torchvision_resnet.py).
#include <gtest/gtest.h>

#include "base/error.h"
#include "base/file_io.h"
#include "inference/npy.h"
#include "model/model_loader.h"
#include "model/torchvision_import.h"
#include "tests/test_env.h"

namespace hat {
namespace {

class TorchvisionImport : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchvisionImport, LayerOutputsMatchTorchvision) {
  const std::string name = GetParam();
  const auto state = read_state_dict_file(test::generated(name + ".pth"));
  ASSERT_TRUE(is_torchvision_state(state));
  HatConfig c = preset(name == "resnet50" ? "hat-r50" : "hat-r18");
  c.backbone = detect_torchvision_backbone(state);
  EXPECT_STREQ(to_string(c.backbone), name.c_str());
  c.stem_relu = true;  // torchvision's stem; HAT's presets follow the reference and drop it
  HatModel model(c);
  import_torchvision_backbone(*model, state, name);
  model->eval();
  torch::NoGradGuard ng;
  auto backbone = model->named_children()["backbone"];
  const auto x = read_npy(test::generated("input.npy"));
  const auto stages = std::dynamic_pointer_cast<ResNetImpl>(backbone)->forward(x);
  for (int k = 0; k < 4; ++k) {
    const auto expected =
        read_npy(test::generated(name + "_layer" + std::to_string(k + 1) + ".npy"));
    ASSERT_EQ(stages[k].sizes(), expected.sizes()) << "layer" << k + 1;
    const double err = ((stages[k] - expected).norm() / expected.norm()).item<double>();
    EXPECT_LT(err, 1e-5) << name << " layer" << k + 1;
  }
}

INSTANTIATE_TEST_SUITE_P(AllDepths, TorchvisionImport,
                         ::testing::Values("resnet18", "resnet34", "resnet50"));

TEST(TorchvisionImportErrors, DepthMismatchIsNamed) {
  const std::string path = test::generated("resnet18.pth");
  HatModel model(preset("hat-r50"));
  try {
    import_torchvision_backbone(*model, read_state_dict_file(path), path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": holds a resnet18, but preset 'hat-r50' uses a resnet50");
  }
}

TEST(TorchvisionImportErrors, LoadModelPicksThePresetByDepth) {
  const auto r50 = load_model(test::generated("resnet50.pth"));
  EXPECT_EQ(r50.kind, ModelFileKind::kTorchvision);
  EXPECT_EQ(r50.model->config().preset, "hat-r50");
  const auto r34 = load_model(test::generated("resnet34.pth"));
  EXPECT_EQ(r34.model->config().backbone, Backbone::kResNet34);
  LoadOptions options;
  options.preset = "tiny";
  EXPECT_EQ(load_model(test::generated("resnet18.pth"), options).model->config().preset, "tiny");
}

}  // namespace
}  // namespace hat
