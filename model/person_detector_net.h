// The site person detector that `hat-train detector` trains: a small single-stage, anchor-free
// detector (CenterNet's formulation: a person-centre heatmap, a sub-cell centre offset and a box
// size per cell) on the ImageNet MobileNetV2 backbone of hat-mnv2, with a light feature pyramid
// that brings the stride-16 and stride-32 levels down to one stride-8 output map.
//
// Its decoded output is a YOLOv8-style table, [B, 5, cells]: per cell cx, cy, w, h in input
// pixels and the person score, which is what hatdetect's ONNX path decodes
// (detection/person_detector.h); model/person_detector_onnx.h writes the same computation as an
// ONNX file, so the detector runs in hatdetect (OpenCV DNN) and in any other ONNX runtime.
#pragma once

#include <cstdint>

#include <torch/torch.h>

#include "model/mobilenet_v2.h"

namespace hat {

// The output stride of the detector's maps.
constexpr int64_t kPersonDetectorStride = 8;

struct PersonDetectorNetConfig {
  // The fixed network input (RGB in 0..1, letterboxed: detection/letterbox.h); both multiples of
  // 32. The default suits 4:3 cameras at half of PAL's width.
  int64_t input_width = 384, input_height = 288;
  int64_t neck_channels = 64;
};

// The raw maps at stride 8, each [B, C, H / 8, W / 8].
struct PersonDetectorMaps {
  torch::Tensor heat;    // C = 1: logit of "a person's box centre is in this cell"
  torch::Tensor offset;  // C = 2: centre within the cell, in cells, from the cell's centre
  torch::Tensor size;    // C = 2: log(w / 8), log(h / 8) with w, h in input pixels
};

class PersonDetectorNetImpl : public torch::nn::Module {
 public:
  explicit PersonDetectorNetImpl(const PersonDetectorNetConfig& config = {});

  // x: [B, 3, input_height, input_width]. hat::Error for another shape.
  PersonDetectorMaps forward(const torch::Tensor& x);
  // The maps as boxes, [B, 5, H/8 * W/8] (row-major cells): cx, cy, w, h, sigmoid(heat).
  torch::Tensor decode(const PersonDetectorMaps& maps) const;

  const PersonDetectorNetConfig& config() const { return config_; }
  // For the ONNX exporter.
  MobileNetV2& backbone() { return backbone_; }
  ConvBnRelu6& lateral(int level) { return lateral_[level]; }  // 0: stride 8 ... 2: stride 32
  ConvBnRelu6& head() { return head_; }
  torch::nn::Conv2d& heat_out() { return heat_; }
  torch::nn::Conv2d& offset_out() { return offset_; }
  torch::nn::Conv2d& size_out() { return size_; }

 private:
  PersonDetectorNetConfig config_;
  MobileNetV2 backbone_{nullptr};
  std::array<ConvBnRelu6, 3> lateral_{nullptr, nullptr, nullptr};
  ConvBnRelu6 head_{nullptr};
  torch::nn::Conv2d heat_{nullptr}, offset_{nullptr}, size_{nullptr};
};
TORCH_MODULE(PersonDetectorNet);

// The cell-centre grid of the stride-8 map, [1, 2, H/8, W/8] in input pixels (x then y).
torch::Tensor person_detector_grid(const PersonDetectorNetConfig& config);

// Nearest-neighbour upsampling of `coarse` to the size of `fine`, added to it: the pyramid's
// top-down step (ONNX: opset-10 Resize, nearest, then Add).
torch::Tensor upsample_add(const torch::Tensor& coarse, const torch::Tensor& fine);

}  // namespace hat
