// MobileNetV2 (Sandler et al., 2018) as HAT's backbone, in torchvision's module layout
// (features.N..., so torchvision's state dicts map 1:1; model/mobilenet_v2_import.h maps the
// other layouts). Width 1.0, no classifier: the ImageNet head is not part of a re-ID model.
#pragma once

#include <array>

#include <torch/torch.h>

#include "model/backbone.h"
#include "model/config.h"
#include "model/mobilenet_v2_spec.h"

namespace hat {

// conv -> BN -> ReLU6, with torchvision's keys (Conv2dNormActivation: "0" conv, "1" BN). A
// module of its own, not a Sequential: LibTorch cannot nest Sequentials.
class ConvBnRelu6Impl : public torch::nn::Module {
 public:
  ConvBnRelu6Impl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups);
  torch::Tensor forward(const torch::Tensor& x);
  // For exporters (model/onnx_export.h), which fold the BN into the convolution.
  const torch::nn::Conv2d& conv() const { return conv_; }
  const torch::nn::BatchNorm2d& bn() const { return bn_; }

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(ConvBnRelu6);

// The inverted residual: 1x1 expansion (unless expand_ratio is 1), 3x3 depthwise (stride), 1x1
// linear projection with BN; an identity shortcut when stride is 1 and in == out.
class InvertedResidualImpl : public torch::nn::Module {
 public:
  InvertedResidualImpl(int64_t in, int64_t out, int64_t stride, int64_t expand_ratio);
  torch::Tensor forward(const torch::Tensor& x);
  // For exporters: whether the input is added back, and the expansion, depthwise and
  // projection layers in order (ConvBnRelu6..., Conv2d, BatchNorm2d).
  bool residual() const { return residual_; }
  const torch::nn::Sequential& layers() const { return conv_; }

 private:
  bool residual_;
  torch::nn::Sequential conv_{nullptr};
};
TORCH_MODULE(InvertedResidual);

class MobileNetV2Impl : public BackboneNetImpl {
 public:
  // Uses config.last_stride for the stride-32 stage (features[14]).
  explicit MobileNetV2Impl(const HatConfig& config);
  // The outputs of features[3], [6], [13] and [18]: 24, 32, 96 and 1280 channels at strides 4,
  // 8, 16 and 32.
  std::array<torch::Tensor, 4> forward(const torch::Tensor& x) override;
  // For exporters: features[0..18].
  const torch::nn::Sequential& features() const { return features_; }

 private:
  torch::nn::Sequential features_{nullptr};
};
TORCH_MODULE(MobileNetV2);

}  // namespace hat
