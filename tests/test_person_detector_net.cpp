// The site person detector's network and its ONNX export: the exported file, run by hatdetect's
// ONNX path (OpenCV DNN, an independent implementation of ONNX's operators), gives the boxes
// that the LibTorch network decodes on the same frame; the file declares its input size and
// hatdetect reads it; the protobuf reader rejects broken files with their name.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "base/error.h"
#include "detection/letterbox.h"
#include "detection/onnx_input_shape.h"
#include "detection/person_detector.h"
#include "frame/frame_view.h"
#include "model/person_detector_net.h"
#include "model/person_detector_onnx.h"
#include "tests/test_env.h"

namespace hat {
namespace {

// A network with non-trivial BN statistics, so that folding them into the convolutions is
// exercised (fresh BNs are the identity).
PersonDetectorNet random_detector(uint64_t seed) {
  torch::manual_seed(static_cast<int64_t>(seed));
  PersonDetectorNet net(PersonDetectorNetConfig{.input_width = 320, .input_height = 256});
  torch::NoGradGuard no_grad;
  for (auto& m : net->modules(false)) {
    if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
      bn->running_mean.uniform_(-0.2, 0.2);
      bn->running_var.uniform_(0.5, 1.5);
      bn->weight.uniform_(0.5, 1.5);
      bn->bias.uniform_(-0.2, 0.2);
    }
  }
  // Scores spread over 0..1 rather than all near the 0.1 prior.
  net->heat_out()->weight.normal_(0, 0.5);
  net->heat_out()->bias.fill_(0.5);
  net->eval();
  return net;
}

cv::Mat textured_frame(cv::Size size) {
  cv::Mat frame(size, CV_8UC3);
  cv::randu(frame, 0, 255);
  cv::GaussianBlur(frame, frame, cv::Size(7, 7), 2.0);
  return frame;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("hat-test-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

TEST(PersonDetectorNet, DecodesMapsIntoAYolov8TableInInputPixels) {
  PersonDetectorNet net = random_detector(1);
  const auto maps = net->forward(torch::rand({2, 3, 256, 320}));
  EXPECT_EQ(maps.heat.sizes(), (std::vector<int64_t>{2, 1, 32, 40}));
  const auto table = net->decode(maps);
  ASSERT_EQ(table.sizes(), (std::vector<int64_t>{2, 5, 32 * 40}));
  // Cell (row 3, column 5) of image 1, by hand.
  const int64_t cell = 3 * 40 + 5;
  const float ox = maps.offset[1][0][3][5].item<float>(),
              oy = maps.offset[1][1][3][5].item<float>();
  EXPECT_NEAR(table[1][0][cell].item<float>(), (5 + 0.5 + ox) * 8, 1e-4);
  EXPECT_NEAR(table[1][1][cell].item<float>(), (3 + 0.5 + oy) * 8, 1e-4);
  EXPECT_NEAR(table[1][3][cell].item<float>(), std::exp(maps.size[1][1][3][5].item<float>()) * 8,
              1e-3);
  EXPECT_NEAR(table[1][4][cell].item<float>(),
              1 / (1 + std::exp(-maps.heat[1][0][3][5].item<float>())), 1e-6);
  EXPECT_THROW(net->forward(torch::rand({1, 3, 288, 320})), Error);
  EXPECT_THROW(PersonDetectorNet(PersonDetectorNetConfig{.input_width = 100}), Error);
}

TEST(PersonDetectorOnnx, OpenCvRunsTheExportedFileToTheLibTorchNetworksOutput) {
  PersonDetectorNet net = random_detector(2);
  const std::string path = temp_path("detector.onnx");
  export_person_detector_onnx(*net, path);
  EXPECT_EQ(gst::read_onnx_input_shape(path), (std::vector<int64_t>{1, 3, 256, 320}));

  const cv::Mat frame = textured_frame(cv::Size(400, 300));
  cv::Mat rgb;
  cv::cvtColor(frame, rgb, cv::COLOR_BGR2RGB);
  const gst::Letterboxed in = gst::letterbox(rgb, cv::Size(320, 256));
  cv::dnn::Net dnn = cv::dnn::readNetFromONNX(path);
  dnn.setInput(cv::dnn::blobFromImage(in.image, 1.0 / 255.0));
  const cv::Mat out = dnn.forward();
  ASSERT_EQ(out.dims, 3);
  ASSERT_EQ(out.size[1], 5);
  ASSERT_EQ(out.size[2], 32 * 40);

  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::from_blob(in.image.data, {1, 256, 320, 3}, torch::kUInt8)
                              .permute({0, 3, 1, 2})
                              .to(torch::kFloat) /
                          255.0;
  const torch::Tensor expected = net->decode(net->forward(x)).contiguous();
  const torch::Tensor got =
      torch::from_blob(const_cast<float*>(out.ptr<float>()), {1, 5, 32 * 40}, torch::kFloat);
  const double scale = expected.abs().max().item<double>();
  EXPECT_LT((got - expected).abs().max().item<double>(), 1e-4 * scale) << "largest value " << scale;
  std::filesystem::remove(path);
}

TEST(PersonDetectorOnnx, HatdetectsOnnxPathFeedsTheFileAtItsOwnSizeAndFindsItsBoxes) {
  PersonDetectorNet net = random_detector(3);
  const std::string path = temp_path("detector-boxes.onnx");
  export_person_detector_onnx(*net, path);
  const cv::Mat frame = textured_frame(cv::Size(640, 480));  // scale 0.5 into 320 x 256
  gst::DetectorOptions options;
  options.threshold = 0.5;
  options.input_size = 64;  // ignored: the file says 320 x 256
  auto detector = gst::make_onnx_detector(path, options);
  const auto found = detector->detect(FrameView::from_bgr(frame));

  // The oracle: the LibTorch table above the threshold, scaled back to the frame.
  cv::Mat rgb;
  cv::cvtColor(frame, rgb, cv::COLOR_BGR2RGB);
  const gst::Letterboxed in = gst::letterbox(rgb, cv::Size(320, 256));
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::from_blob(in.image.data, {1, 256, 320, 3}, torch::kUInt8)
                              .permute({0, 3, 1, 2})
                              .to(torch::kFloat) /
                          255.0;
  const torch::Tensor table = net->decode(net->forward(x))[0];
  const auto best = table[4].argmax().item<int64_t>();
  ASSERT_GT(table[4][best].item<float>(), 0.5) << "the random network must score some cell";
  ASSERT_FALSE(found.empty());
  const cv::Rect expected(
      static_cast<int>((table[0][best].item<float>() - table[2][best].item<float>() / 2) / 0.5),
      static_cast<int>((table[1][best].item<float>() - table[3][best].item<float>() / 2) / 0.5),
      static_cast<int>(table[2][best].item<float>() / 0.5),
      static_cast<int>(table[3][best].item<float>() / 0.5));
  const cv::Rect clipped = expected & cv::Rect(0, 0, frame.cols, frame.rows);
  double best_iou = 0;
  for (const auto& d : found) {
    const double inter = (d.box & clipped).area();
    best_iou = std::max(best_iou, inter / (d.box.area() + clipped.area() - inter));
  }
  EXPECT_GT(best_iou, 0.95) << "the best-scoring cell's box is among hatdetect's detections";
  std::filesystem::remove(path);
}

TEST(OnnxInputShape, NamesTheFileThatIsNotAnOnnxModel) {
  const std::string path = temp_path("junk.onnx");
  {
    std::ofstream f(path);
    f << "\xff\xff\xff\xff not protobuf";
  }
  try {
    gst::read_onnx_input_shape(path);
    FAIL() << "no error for a junk file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_THROW(gst::read_onnx_input_shape("/nonexistent/model.onnx"), Error);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace hat
