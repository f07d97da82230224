// The tensor side of the one preprocessing (inference/preprocess): RGB crop -> bilinear resize ->
// /255 -> ImageNet mean/std, and the whole chain for a frame's boxes in every pixel format.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base/error.h"
#include "inference/preprocess.h"
#include "tests/test_scene.h"

namespace hat {
namespace {

using test::random_bgr;

PreprocessConfig small() {
  PreprocessConfig p;
  p.height = 32;
  p.width = 16;
  return p;
}

TEST(Preprocess, ConstantColourNormalisesExactly) {
  cv::Mat rgb(40, 20, CV_8UC3, cv::Scalar(200, 100, 50));
  const auto x = rgb_to_input(rgb, small());
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{3, 32, 16}));
  const PreprocessConfig p = small();
  const float values[3] = {200, 100, 50};
  for (int c = 0; c < 3; ++c) {
    const float expected = (values[c] / 255.0f - p.mean[c]) / p.std[c];
    EXPECT_NEAR(x[c].min().item<float>(), expected, 1e-6);
    EXPECT_NEAR(x[c].max().item<float>(), expected, 1e-6);
  }
}

TEST(Preprocess, SameSizeIsNotResampled) {
  const cv::Mat bgr = random_bgr(32, 16, 1);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  const auto x = rgb_to_input(rgb, small());
  const PreprocessConfig p = small();
  const cv::Vec3b px = rgb.at<cv::Vec3b>(7, 5);
  for (int c = 0; c < 3; ++c)
    EXPECT_FLOAT_EQ(x[c][7][5].item<float>(), (px[c] / 255.0f - p.mean[c]) / p.std[c]);
}

TEST(Preprocess, BilinearWithHalfPixelCentresLikeOpenCvFloat) {
  const cv::Mat bgr = random_bgr(83, 41, 2);
  cv::Mat rgb, rgbf, resized;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  rgb.convertTo(rgbf, CV_32FC3);
  cv::resize(rgbf, resized, cv::Size(16, 32), 0, 0, cv::INTER_LINEAR);
  const auto x = rgb_to_input(rgb, small());
  const PreprocessConfig p = small();
  double worst = 0;
  for (int y = 0; y < 32; ++y)
    for (int xx = 0; xx < 16; ++xx)
      for (int c = 0; c < 3; ++c) {
        const float expected = (resized.at<cv::Vec3f>(y, xx)[c] / 255.0f - p.mean[c]) / p.std[c];
        worst =
            std::max(worst, std::abs(static_cast<double>(x[c][y][xx].item<float>() - expected)));
      }
  EXPECT_LT(worst, 1e-4);
}

TEST(Preprocess, YuvFormatsMatchTheirRgbWithinConversionError) {
  const cv::Mat bgr = random_bgr(48, 64, 4);
  cv::Mat i420;
  cv::cvtColor(bgr, i420, cv::COLOR_BGR2YUV_I420);  // Y plane, then U, then V: 72 rows of 64
  const cv::Rect box(10, 6, 20, 30);                // even, so both paths cut the same pixels
  FrameView f;
  f.format = PixelFormat::kI420;
  f.width = 64;
  f.height = 48;
  f.planes = {i420.data, i420.data + 64 * 48, i420.data + 64 * 48 + 32 * 24};
  f.strides = {64, 32, 32};
  const cv::Mat from_i420 = crop_to_rgb(f, box);
  cv::Mat full_rgb;
  cv::cvtColor(i420, full_rgb, cv::COLOR_YUV2RGB_I420);
  EXPECT_LE(cv::norm(from_i420, full_rgb(box), cv::NORM_INF), 1.0);

  // NV12: the same chroma, interleaved.
  std::vector<uint8_t> nv12(64 * 48 * 3 / 2);
  std::memcpy(nv12.data(), i420.data, 64 * 48);
  for (int i = 0; i < 32 * 24; ++i) {
    nv12[64 * 48 + 2 * i] = i420.data[64 * 48 + i];
    nv12[64 * 48 + 2 * i + 1] = i420.data[64 * 48 + 32 * 24 + i];
  }
  FrameView n = f;
  n.format = PixelFormat::kNV12;
  n.planes = {nv12.data(), nv12.data() + 64 * 48, nullptr};
  n.strides = {64, 64, 0};
  EXPECT_LE(cv::norm(crop_to_rgb(n, box), full_rgb(box), cv::NORM_INF), 1.0);
  // And the whole chain stays close to the BGR frame it came from.
  const auto a = preprocess_boxes(n, {box}, small());
  const auto b = preprocess_boxes(FrameView::from_bgr(bgr), {box}, small());
  EXPECT_LT((a - b).abs().mean().item<float>(), 0.1);
}

TEST(Preprocess, BoxesAreClippedAndOffFrameBoxesRejected) {
  const cv::Mat bgr = random_bgr(20, 30, 5);
  const FrameView f = FrameView::from_bgr(bgr);
  EXPECT_EQ(crop_to_rgb(f, cv::Rect(25, 15, 20, 20)).size(), cv::Size(5, 5));
  EXPECT_EQ(crop_to_rgb(f, cv::Rect(-5, -5, 10, 10)).size(), cv::Size(5, 5));
  EXPECT_THROW(crop_to_rgb(f, cv::Rect(40, 0, 10, 10)), Error);
  EXPECT_THROW(crop_to_rgb(f, cv::Rect(5, 5, 0, 10)), Error);
  const auto batch = preprocess_boxes(f, {cv::Rect(0, 0, 10, 10), cv::Rect(10, 5, 7, 9)}, small());
  EXPECT_EQ(batch.sizes(), (std::vector<int64_t>{2, 3, 32, 16}));
  EXPECT_EQ(preprocess_boxes(f, {}, small()).size(0), 0);
}

}  // namespace
}  // namespace hat
