#include "model/resnet.h"

namespace hat {

namespace nn = torch::nn;

namespace {

nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return nn::Conv2d(
      nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

}  // namespace

nn::Sequential make_downsample(int64_t in, int64_t out, int64_t stride) {
  return nn::Sequential(conv(in, out, 1, stride), nn::BatchNorm2d(out));
}

BottleneckImpl::BottleneckImpl(int64_t in, int64_t planes, int64_t out, int64_t stride)
    : conv1_(register_module("conv1", conv(in, planes, 1, 1))),
      conv2_(register_module("conv2", conv(planes, planes, 3, stride))),
      conv3_(register_module("conv3", conv(planes, out, 1, 1))),
      bn1_(register_module("bn1", nn::BatchNorm2d(planes))),
      bn2_(register_module("bn2", nn::BatchNorm2d(planes))),
      bn3_(register_module("bn3", nn::BatchNorm2d(out))) {
  if (stride != 1 || in != out)
    downsample_ = register_module("downsample", make_downsample(in, out, stride));
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  auto y = torch::relu(bn1_(conv1_(x)));
  y = torch::relu(bn2_(conv2_(y)));
  y = bn3_(conv3_(y));
  y += downsample_ ? downsample_->forward(x) : x;
  return torch::relu_(y);
}

BasicBlockImpl::BasicBlockImpl(int64_t in, int64_t planes, int64_t stride)
    : conv1_(register_module("conv1", conv(in, planes, 3, stride))),
      conv2_(register_module("conv2", conv(planes, planes, 3, 1))),
      bn1_(register_module("bn1", nn::BatchNorm2d(planes))),
      bn2_(register_module("bn2", nn::BatchNorm2d(planes))) {
  if (stride != 1 || in != planes)
    downsample_ = register_module("downsample", make_downsample(in, planes, stride));
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  auto y = torch::relu(bn1_(conv1_(x)));
  y = bn2_(conv2_(y));
  y += downsample_ ? downsample_->forward(x) : x;
  return torch::relu_(y);
}

nn::Sequential make_refine_stack(int64_t channels, int depth) {
  nn::Sequential stack;
  for (int i = 0; i < depth; ++i) stack->push_back(Bottleneck(channels, channels / 4, channels, 1));
  return stack;
}

ResNetImpl::ResNetImpl(const HatConfig& config)
    : stem_relu_(config.stem_relu),
      conv1_(register_module(
          "conv1", nn::Conv2d(nn::Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false)))),
      bn1_(register_module("bn1", nn::BatchNorm2d(64))),
      maxpool_(
          register_module("maxpool", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)))) {
  const bool bottleneck = config.backbone == Backbone::kResNet50;
  const std::array<int, 4> blocks = config.stage_blocks();
  const std::array<int64_t, 4> strides = {1, 2, 2, config.last_stride};
  int64_t in = 64;
  for (int s = 0; s < 4; ++s) {
    const int64_t planes = 64 << s;
    nn::Sequential layer;
    for (int b = 0; b < blocks[s]; ++b) {
      const int64_t stride = b == 0 ? strides[s] : 1;
      if (bottleneck) {
        layer->push_back(Bottleneck(in, planes, planes * 4, stride));
        in = planes * 4;
      } else {
        layer->push_back(BasicBlock(in, planes, stride));
        in = planes;
      }
    }
    layers_[s] = register_module("layer" + std::to_string(s + 1), layer);
  }
  // torchvision's initialisation; ImageNet weights replace it for real training.
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* c = m->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    }
  }
}

std::array<torch::Tensor, 4> ResNetImpl::forward(const torch::Tensor& x) {
  auto y = bn1_(conv1_(x));
  if (stem_relu_) y = torch::relu(y);
  y = maxpool_(y);
  std::array<torch::Tensor, 4> out;
  for (int s = 0; s < 4; ++s) {
    y = layers_[s]->forward(y);
    out[s] = y;
  }
  return out;
}

}  // namespace hat
