#include "inference/preprocess.h"

#include <torch/nn/functional/upsampling.h>

#include "base/error.h"

namespace hat {

torch::Tensor rgb_to_input(const cv::Mat& rgb, const PreprocessConfig& p) {
  if (rgb.empty() || rgb.type() != CV_8UC3) throw Error("expected a non-empty 8-bit RGB image");
  const cv::Mat packed = rgb.isContinuous() ? rgb : rgb.clone();
  auto x = torch::from_blob(packed.data, {1, packed.rows, packed.cols, 3}, torch::kUInt8)
               .permute({0, 3, 1, 2})
               .to(torch::kFloat32);
  // Resizing the float image keeps the arithmetic exact and device-independent (OpenCV's 8-bit
  // path rounds through fixed point), so a GPU implementation can match it.
  if (packed.rows != p.height || packed.cols != p.width) {
    x = torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                  .size(std::vector<int64_t>{p.height, p.width})
                                                  .mode(torch::kBilinear)
                                                  .align_corners(false));
  }
  const auto mean = torch::tensor({p.mean[0], p.mean[1], p.mean[2]}).view({1, 3, 1, 1});
  const auto std = torch::tensor({p.std[0], p.std[1], p.std[2]}).view({1, 3, 1, 1});
  return ((x / 255.0f - mean) / std).squeeze(0).contiguous();
}

torch::Tensor preprocess_boxes(const FrameView& frame, const std::vector<cv::Rect>& boxes,
                               const PreprocessConfig& config) {
  std::vector<torch::Tensor> inputs;
  inputs.reserve(boxes.size());
  for (const auto& box : boxes) inputs.push_back(rgb_to_input(crop_to_rgb(frame, box), config));
  if (inputs.empty()) return torch::empty({0, 3, config.height, config.width});
  return torch::stack(inputs);
}

}  // namespace hat
