// A raw video frame in memory, as the project's parts see it: pixel format, size, planes and
// strides, without owning the pixels. GStreamer frames (gst-plugin/video_frame), OpenCV images
// and the GPU upload (inference/preprocess_gpu) all go through this one description.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace hat {

// Raw video frame layouts the project accepts (GStreamer names in brackets). The order is part
// of the GPU kernel's contract (inference/preprocess_kernel.h checks it with a static_assert).
enum class PixelFormat { kRGB, kBGR, kRGBx, kBGRx, kI420, kNV12, kGray8 };

// A frame in memory, not owned. Planes and strides as GstVideoFrame reports them; packed formats
// use plane 0 only.
struct FrameView {
  PixelFormat format = PixelFormat::kBGR;
  int width = 0;
  int height = 0;
  std::array<const uint8_t*, 3> planes = {nullptr, nullptr, nullptr};
  std::array<int, 3> strides = {0, 0, 0};

  static FrameView from_bgr(const cv::Mat& bgr);  // an OpenCV image (imread's BGR layout)
};

// The planes of a `width` x `height` frame: bytes of pixels per row (the stride may pad beyond
// them) and rows, one entry per plane.
struct PlaneShape {
  int row_bytes = 0;
  int rows = 0;
};
std::vector<PlaneShape> plane_layout(PixelFormat format, int width, int height);

}  // namespace hat
