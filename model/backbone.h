// The CNN under HAT's aggregation: any network that gives four levels of features at strides 4,
// 8, 16 and 32 (16 with last_stride 1). HAT's method does not depend on which (paper, Sec. 3);
// the configuration's `backbone` picks ResNet-18/34/50 (model/resnet.h) or MobileNetV2
// (model/mobilenet_v2.h).
#pragma once

#include <array>
#include <memory>

#include <torch/torch.h>

#include "model/config.h"

namespace hat {

class BackboneNetImpl : public torch::nn::Module {
 public:
  // The four levels, [B, stage_channels()[k], H / stride_k, W / stride_k].
  virtual std::array<torch::Tensor, 4> forward(const torch::Tensor& x) = 0;
};

// The backbone that `config.backbone` names, with fresh (torchvision-style) initial weights.
std::shared_ptr<BackboneNetImpl> make_backbone(const HatConfig& config);

}  // namespace hat
