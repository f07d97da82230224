// The GPU preprocessing against the CPU one. The kernel's arithmetic (model/preprocess_kernel.h)
// is checked here on the host, on every machine: colour conversion for all 2^24 YUV values, and
// whole crops in every pixel format. The kernel itself runs in the GpuPreprocess tests, which
// need a CUDA device and say so when they skip.
#include <gtest/gtest.h>

#include <random>

#include <opencv2/imgproc.hpp>

#include "base/error.h"
#include "inference/preprocess.h"
#include "inference/preprocess_kernel.h"
#include "tests/cuda_skip.h"
#include "tests/test_env.h"

namespace hat {
namespace {

// A frame of random pixels that owns its planes; strides are padded past the pixels, as
// GStreamer pads them.
struct OwnedFrame {
  std::array<std::vector<uint8_t>, 3> data;
  FrameView view;
};

OwnedFrame random_frame(PixelFormat format, int width, int height, uint32_t seed) {
  OwnedFrame f;
  f.view.format = format;
  f.view.width = width;
  f.view.height = height;
  const auto planes = plane_layout(format, width, height);
  std::mt19937 rng(seed);
  for (size_t p = 0; p < planes.size(); ++p) {
    const int stride = planes[p].row_bytes + 13;
    f.data[p].resize(static_cast<size_t>(stride) * planes[p].rows);
    for (auto& b : f.data[p]) b = static_cast<uint8_t>(rng());
    f.view.planes[p] = f.data[p].data();
    f.view.strides[p] = stride;
  }
  return f;
}

kernel::Frame kernel_frame(const FrameView& v) {
  kernel::Frame f;
  f.format = static_cast<int32_t>(v.format);
  f.width = v.width;
  f.height = v.height;
  for (int p = 0; p < 3; ++p) {
    f.planes[p] = v.planes[p];
    f.strides[p] = v.strides[p];
  }
  return f;
}

// What the kernel computes, computed on the host: every output pixel of every crop through the
// same preprocess_pixel the device runs.
torch::Tensor kernel_on_host(const FrameView& frame, const std::vector<cv::Rect>& boxes,
                             const PreprocessConfig& p) {
  auto out = torch::full({static_cast<int64_t>(boxes.size()), 3, p.height, p.width},
                         std::numeric_limits<float>::quiet_NaN());
  kernel::Output o;
  o.data = out.data_ptr<float>();
  o.height = p.height;
  o.width = p.width;
  for (int c = 0; c < 3; ++c) o.mean[c] = p.mean[c], o.std[c] = p.std[c];
  const kernel::Frame f = kernel_frame(frame);
  for (size_t n = 0; n < boxes.size(); ++n) {
    const cv::Rect r = crop_region(frame, boxes[n]);
    const kernel::Box b{r.x, r.y, r.width, r.height};
    for (int y = 0; y < p.height; ++y)
      for (int x = 0; x < p.width; ++x)
        kernel::preprocess_pixel(f, b, o, static_cast<int>(n), y, x);
  }
  return out;
}

const std::vector<PixelFormat> kAllFormats = {
    PixelFormat::kRGB,  PixelFormat::kBGR,  PixelFormat::kRGBx, PixelFormat::kBGRx,
    PixelFormat::kI420, PixelFormat::kNV12, PixelFormat::kGray8};

// Boxes that shrink, enlarge, keep the size, touch every edge, lie partly outside the frame,
// and start on odd coordinates (which the YUV formats widen to even ones).
std::vector<cv::Rect> test_boxes(int width, int height) {
  return {{0, 0, width, height},
          {17, 9, 64, 128},
          {3, 5, 128, 256},
          {101, 33, 7, 11},
          {width - 40, height - 90, 40, 90},
          {-20, -30, 60, 100},
          {width - 25, 40, 60, 77},
          {51, 61, 1, 1},
          {8, 8, 2, 2}};
}

float max_abs_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<float>();
}

TEST(KernelMath, YuvConversionEqualsOpenCvForEveryValue) {
  // A 4096 x 4096 NV12 frame holds all 2^24 (Y, U, V) triples: each of the 2048 x 2048 chroma
  // samples covers 2 x 2 luma pixels, 64 samples per (U, V) pair give it all 256 Y values.
  constexpr int kSide = 4096, kHalf = kSide / 2;
  cv::Mat yuv(kSide * 3 / 2, kSide, CV_8UC1);
  for (int by = 0; by < kHalf; ++by)
    for (int bx = 0; bx < kHalf; ++bx) {
      const int block = by * kHalf + bx;
      const int pair = block / 64, group = block % 64;
      for (int k = 0; k < 4; ++k)
        yuv.at<uint8_t>(2 * by + k / 2, 2 * bx + k % 2) = static_cast<uint8_t>(group * 4 + k);
      yuv.at<uint8_t>(kSide + by, 2 * bx) = static_cast<uint8_t>(pair & 255);     // U
      yuv.at<uint8_t>(kSide + by, 2 * bx + 1) = static_cast<uint8_t>(pair >> 8);  // V
    }
  cv::Mat rgb;
  cv::cvtColor(yuv, rgb, cv::COLOR_YUV2RGB_NV12);
  long mismatches = 0;
  for (int y = 0; y < kSide; ++y)
    for (int x = 0; x < kSide; ++x) {
      uint8_t ours[3];
      kernel::yuv_to_rgb(yuv.at<uint8_t>(y, x), yuv.at<uint8_t>(kSide + y / 2, x / 2 * 2),
                         yuv.at<uint8_t>(kSide + y / 2, x / 2 * 2 + 1), ours);
      const cv::Vec3b theirs = rgb.at<cv::Vec3b>(y, x);
      mismatches += ours[0] != theirs[0] || ours[1] != theirs[1] || ours[2] != theirs[2];
    }
  EXPECT_EQ(mismatches, 0) << "of " << kSide * kSide << " YUV triples";
}

TEST(KernelMath, KernelArithmeticEqualsCpuPreprocessingInEveryFormat) {
  PreprocessConfig p;  // 256 x 128, ImageNet statistics
  for (const auto format : kAllFormats) {
    const OwnedFrame frame = random_frame(format, 333, 211, 7 + static_cast<int>(format));
    const auto boxes = test_boxes(333, 211);
    const auto cpu = preprocess_boxes(frame.view, boxes, p);
    const auto emulated = kernel_on_host(frame.view, boxes, p);
    ASSERT_FALSE(emulated.isnan().any().item<bool>()) << "unwritten outputs";
    // Same 8-bit pixels, same sample positions; only float rounding may differ.
    EXPECT_LT(max_abs_difference(cpu, emulated), 1e-4) << "format " << static_cast<int>(format);
  }
}

TEST(KernelMath, SourceIndexFollowsHalfPixelCentres) {
  int i0, i1;
  float w1;
  kernel::source_index(0, 10, 5, &i0, &i1, &w1);  // 2x shrink: output 0 sits at input 0.5
  EXPECT_EQ(i0, 0);
  EXPECT_EQ(i1, 1);
  EXPECT_FLOAT_EQ(w1, 0.5f);
  kernel::source_index(0, 5, 10, &i0, &i1, &w1);  // 2x enlarge: -0.25 clamps to 0
  EXPECT_EQ(i0, 0);
  EXPECT_FLOAT_EQ(w1, 0.0f);
  kernel::source_index(9, 5, 10, &i0, &i1, &w1);  // last output: 4.25, clamped to the edge
  EXPECT_EQ(i0, 4);
  EXPECT_EQ(i1, 4);
}

TEST(GpuPreprocess, CpuDeviceIsTheCpuPath) {
  PreprocessConfig p;
  const OwnedFrame frame = random_frame(PixelFormat::kNV12, 320, 240, 3);
  const auto boxes = test_boxes(320, 240);
  EXPECT_TRUE(torch::equal(preprocess_boxes(frame.view, boxes, p, torch::Device(torch::kCPU)),
                           preprocess_boxes(frame.view, boxes, p)));
}

TEST(GpuPreprocess, KernelEqualsCpuInEveryFormat) {
  if (test::no_cuda()) GTEST_SKIP() << "SKIPPED: no CUDA device on this machine";
  ASSERT_TRUE(gpu_preprocessing_built()) << "this build has no CUDA kernels";
  const torch::Device cuda(torch::kCUDA);
  PreprocessConfig p;
  for (const auto format : kAllFormats) {
    const OwnedFrame frame = random_frame(format, 1920, 1080, 11 + static_cast<int>(format));
    std::vector<cv::Rect> boxes = test_boxes(1920, 1080);
    std::mt19937 rng(static_cast<uint32_t>(format));
    for (int i = 0; i < 300; ++i) {  // a batch larger than one warp of crops, random sizes
      const int w = 8 + static_cast<int>(rng() % 400), h = 8 + static_cast<int>(rng() % 700);
      boxes.push_back({static_cast<int>(rng() % 1900), static_cast<int>(rng() % 1060), w, h});
    }
    const auto gpu = preprocess_boxes(frame.view, boxes, p, cuda);
    ASSERT_TRUE(gpu.is_cuda());
    const auto cpu = preprocess_boxes(frame.view, boxes, p);
    EXPECT_LT(max_abs_difference(gpu.cpu(), cpu), 1e-3) << "format " << static_cast<int>(format);
  }
}

TEST(GpuPreprocess, KernelHandlesNoBoxesAndRejectsOffFrameBoxes) {
  if (test::no_cuda()) GTEST_SKIP() << "SKIPPED: no CUDA device on this machine";
  const torch::Device cuda(torch::kCUDA);
  PreprocessConfig p;
  const OwnedFrame frame = random_frame(PixelFormat::kI420, 640, 480, 5);
  const auto none = preprocess_boxes(frame.view, {}, p, cuda);
  EXPECT_EQ(none.size(0), 0);
  EXPECT_THROW(preprocess_boxes(frame.view, {{700, 500, 20, 20}}, p, cuda), Error);
}

}  // namespace
}  // namespace hat
