// THE preprocessing of the project: crop -> RGB -> bilinear resize to the model input -> /255 ->
// ImageNet mean/std. The trainer, the evaluator, hat-model and the GStreamer plugin all call
// these functions, so the same crop gives the same embedding everywhere.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json_fwd.hpp>
#include <opencv2/core.hpp>

#include "model/config.h"

namespace hat {

struct PreprocessConfig {
  int height = 256;
  int width = 128;
  std::array<float, 3> mean = {0.485f, 0.456f, 0.406f};  // RGB, on [0, 1] values
  std::array<float, 3> std = {0.229f, 0.224f, 0.225f};

  static PreprocessConfig for_model(const HatConfig& config);
  bool operator==(const PreprocessConfig& other) const;
};

nlohmann::json to_json(const PreprocessConfig& config);
PreprocessConfig preprocess_from_json(const nlohmann::json& json);

// Raw video frame layouts the project accepts (GStreamer names in brackets).
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

// The box clipped to the frame; empty when nothing of it lies inside.
cv::Rect clip_box(const cv::Rect& box, int width, int height);

// The pixels a box crops: clipped to the frame and, for I420/NV12, widened to even coordinates so
// that chroma stays aligned. hat::Error for an empty (or off-frame) box. Both the CPU and the GPU
// path crop exactly this region.
cv::Rect crop_region(const FrameView& frame, const cv::Rect& box);

// Step 1-2: the box's crop_region as a packed 8-bit RGB image.
cv::Mat crop_to_rgb(const FrameView& frame, const cv::Rect& box);

// Step 3-5: an RGB crop of any size as the model's [3, H, W] float input.
torch::Tensor rgb_to_input(const cv::Mat& rgb, const PreprocessConfig& config);

// The whole chain for many boxes of one frame: [N, 3, H, W].
torch::Tensor preprocess_boxes(const FrameView& frame, const std::vector<cv::Rect>& boxes,
                               const PreprocessConfig& config);

// The same, with the result on `device`. On a CUDA device (in builds with the CUDA kernels) the
// frame is uploaded once and one kernel launch computes every crop on the GPU, equal to the CPU
// result within float rounding; otherwise the CPU result is moved to the device.
torch::Tensor preprocess_boxes(const FrameView& frame, const std::vector<cv::Rect>& boxes,
                               const PreprocessConfig& config, const torch::Device& device);

// Whether preprocess_boxes runs on the GPU for CUDA devices in this build.
bool gpu_preprocessing_built();

// Reads an image file as RGB; hat::Error names a missing, unreadable or empty image.
cv::Mat read_rgb_image(const std::string& path);

}  // namespace hat
