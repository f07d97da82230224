// ResNet-18/34/50 backbone in torchvision's layout (so torchvision state dicts map 1:1), plus
// the bottleneck block that the HAT aggregation reuses for its level refinement and NeA.
#pragma once

#include <array>

#include <torch/torch.h>

#include "model/backbone.h"
#include "model/config.h"

namespace hat {

// torchvision's Bottleneck: 1x1 in->planes, 3x3 planes->planes (stride), 1x1 planes->4*planes
// (named for its expansion), each with BN; ReLU after the residual sum. `out` is planes * 4 for
// the backbone; HAT's refine blocks use out == in (C -> C/4 -> C) with an identity shortcut.
class BottleneckImpl : public torch::nn::Module {
 public:
  BottleneckImpl(int64_t in, int64_t planes, int64_t out, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(Bottleneck);

// torchvision's BasicBlock (ResNet-18/34): two 3x3 convolutions with BN.
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in, int64_t planes, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(BasicBlock);

// The 1x1 conv + BN shortcut used when a block changes width or stride.
torch::nn::Sequential make_downsample(int64_t in, int64_t out, int64_t stride);

// `depth` bottlenecks C -> C/4 -> C (stride 1, identity shortcut): HAT's per-level refinement
// and its Neighborhood Adjustment (depth 1).
torch::nn::Sequential make_refine_stack(int64_t channels, int depth);

class ResNetImpl : public BackboneNetImpl {
 public:
  explicit ResNetImpl(const HatConfig& config);
  // The outputs of layer1..layer4.
  std::array<torch::Tensor, 4> forward(const torch::Tensor& x) override;

 private:
  bool stem_relu_;
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  torch::nn::MaxPool2d maxpool_{nullptr};
  std::array<torch::nn::Sequential, 4> layers_;
};
TORCH_MODULE(ResNet);

}  // namespace hat
