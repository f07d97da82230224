#include "model/mobilenet_v2.h"

namespace hat {

namespace nn = torch::nn;

ConvBnRelu6Impl::ConvBnRelu6Impl(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                 int64_t groups)
    : conv_(register_module("0", nn::Conv2d(nn::Conv2dOptions(in, out, kernel)
                                                .stride(stride)
                                                .padding(kernel / 2)
                                                .groups(groups)
                                                .bias(false)))),
      bn_(register_module("1", nn::BatchNorm2d(out))) {}

torch::Tensor ConvBnRelu6Impl::forward(const torch::Tensor& x) {
  return torch::hardtanh(bn_(conv_(x)), 0.0, 6.0);  // ReLU6
}

InvertedResidualImpl::InvertedResidualImpl(int64_t in, int64_t out, int64_t stride,
                                           int64_t expand_ratio)
    : residual_(stride == 1 && in == out) {
  const int64_t hidden = in * expand_ratio;
  nn::Sequential conv;
  if (expand_ratio != 1) conv->push_back(ConvBnRelu6(in, hidden, 1, 1, 1));
  conv->push_back(ConvBnRelu6(hidden, hidden, 3, stride, hidden));
  conv->push_back(nn::Conv2d(nn::Conv2dOptions(hidden, out, 1).bias(false)));
  conv->push_back(nn::BatchNorm2d(out));
  conv_ = register_module("conv", conv);
}

torch::Tensor InvertedResidualImpl::forward(const torch::Tensor& x) {
  return residual_ ? x + conv_->forward(x) : conv_->forward(x);
}

MobileNetV2Impl::MobileNetV2Impl(const HatConfig& config) {
  nn::Sequential features;
  features->push_back(ConvBnRelu6(3, kMobileNetV2StemChannels, 3, 2, 1));
  int64_t in = kMobileNetV2StemChannels;
  for (size_t s = 0; s < kMobileNetV2Stages.size(); ++s) {
    const auto& stage = kMobileNetV2Stages[s];
    // As ResNet's layer4, the stride-32 stage takes the configured last stride.
    const int64_t stride =
        static_cast<int>(s) == kMobileNetV2LastStrideStage ? config.last_stride : stage.stride;
    for (int i = 0; i < stage.repeats; ++i) {
      features->push_back(
          InvertedResidual(in, stage.channels, i == 0 ? stride : 1, stage.expand_ratio));
      in = stage.channels;
    }
  }
  features->push_back(ConvBnRelu6(in, kMobileNetV2LastChannels, 1, 1, 1));
  features_ = register_module("features", features);
  // torchvision's initialisation; the ImageNet weights replace it for real training.
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* c = m->as<nn::Conv2d>())
      nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
  }
}

std::array<torch::Tensor, 4> MobileNetV2Impl::forward(const torch::Tensor& x) {
  std::array<torch::Tensor, 4> out;
  torch::Tensor y = x;
  size_t level = 0;
  int index = 0;
  for (auto& block : *features_) {
    y = block.forward(y);
    if (level < out.size() && index == kMobileNetV2LevelEnds[level]) out[level++] = y;
    ++index;
  }
  return out;
}

}  // namespace hat
