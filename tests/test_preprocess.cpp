// The one preprocessing: crop -> RGB -> bilinear resize -> /255 -> ImageNet mean/std, for every
// accepted pixel format, and its errors.
#include <gtest/gtest.h>

#include <fstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base/error.h"
#include "frame/image_file.h"
#include "inference/preprocess.h"
#include "tests/test_env.h"

namespace hat {
namespace {

PreprocessConfig small() {
  PreprocessConfig p;
  p.height = 32;
  p.width = 16;
  return p;
}

cv::Mat random_bgr(int rows, int cols, int seed) {
  cv::Mat m(rows, cols, CV_8UC3);
  cv::theRNG().state = seed;
  cv::randu(m, 0, 256);
  cv::GaussianBlur(m, m, cv::Size(5, 5),
                   2.0);  // smooth, like real images, so chroma subsampling is mild
  return m;
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

TEST(Preprocess, BgrFrameCropBecomesRgb) {
  cv::Mat bgr(20, 30, CV_8UC3, cv::Scalar(0, 0, 0));
  bgr(cv::Rect(10, 5, 4, 6)).setTo(cv::Scalar(255, 0, 0));  // blue in BGR
  const cv::Mat crop = crop_to_rgb(FrameView::from_bgr(bgr), cv::Rect(10, 5, 4, 6));
  ASSERT_EQ(crop.size(), cv::Size(4, 6));
  EXPECT_EQ(crop.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 255));
}

TEST(Preprocess, PackedFormatsAgree) {
  const cv::Mat bgr = random_bgr(24, 36, 3);
  const cv::Rect box(5, 3, 17, 15);
  const cv::Mat ref = crop_to_rgb(FrameView::from_bgr(bgr), box);
  cv::Mat rgb, rgbx, bgrx;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  cv::cvtColor(bgr, rgbx, cv::COLOR_BGR2RGBA);
  cv::cvtColor(bgr, bgrx, cv::COLOR_BGR2BGRA);
  for (auto [format, mat] : {std::pair{PixelFormat::kRGB, rgb},
                             {PixelFormat::kRGBx, rgbx},
                             {PixelFormat::kBGRx, bgrx}}) {
    FrameView f;
    f.format = format;
    f.width = mat.cols;
    f.height = mat.rows;
    f.planes[0] = mat.data;
    f.strides[0] = static_cast<int>(mat.step[0]);
    EXPECT_EQ(cv::norm(crop_to_rgb(f, box), ref, cv::NORM_INF), 0.0) << static_cast<int>(format);
  }
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

TEST(Preprocess, UnreadableImagesAreNamed) {
  const std::string dir = test::scratch_dir();
  std::ofstream(dir + "/empty.png").close();
  std::ofstream(dir + "/text.jpg") << "this is not a JPEG\n";
  for (const std::string name : {"/empty.png", "/text.jpg", "/missing.png"}) {
    try {
      read_rgb_image(dir + name);
      FAIL() << name;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), dir + name + ": missing, unreadable or not an image");
    }
  }
}

TEST(Preprocess, GrayscaleFileIsExpandedToRgb) {
  const std::string path = test::scratch_dir() + "/gray.png";
  cv::imwrite(path, cv::Mat(10, 6, CV_8UC1, cv::Scalar(77)));
  const cv::Mat rgb = read_rgb_image(path);
  EXPECT_EQ(rgb.type(), CV_8UC3);
  EXPECT_EQ(rgb.at<cv::Vec3b>(3, 3), cv::Vec3b(77, 77, 77));
}

}  // namespace
}  // namespace hat
