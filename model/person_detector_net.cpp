#include "model/person_detector_net.h"

#include <cmath>

#include "base/error.h"
#include "model/config.h"

namespace hat {

namespace nn = torch::nn;

namespace {

HatConfig backbone_config() {
  HatConfig c;
  c.backbone = Backbone::kMobileNetV2;
  c.last_stride = 2;
  return c;
}

}  // namespace

PersonDetectorNetImpl::PersonDetectorNetImpl(const PersonDetectorNetConfig& config)
    : config_(config) {
  if (config.input_width % 32 != 0 || config.input_height % 32 != 0 || config.input_width <= 0 ||
      config.input_height <= 0)
    throw Error("detector input must be a positive multiple of 32 on both sides, not " +
                std::to_string(config.input_width) + "x" + std::to_string(config.input_height));
  backbone_ = register_module("backbone", MobileNetV2(backbone_config()));
  const int64_t c = config.neck_channels;
  const std::array<int64_t, 3> in = {32, 96, 1280};  // features[6], [13], [18]
  for (int k = 0; k < 3; ++k)
    lateral_[k] = register_module("lateral" + std::to_string(k), ConvBnRelu6(in[k], c, 1, 1, 1));
  head_ = register_module("head", ConvBnRelu6(c, c, 3, 1, 1));
  heat_ = register_module("heat", nn::Conv2d(nn::Conv2dOptions(c, 1, 1)));
  offset_ = register_module("offset", nn::Conv2d(nn::Conv2dOptions(c, 2, 1)));
  size_ = register_module("size", nn::Conv2d(nn::Conv2dOptions(c, 2, 1)));
  torch::NoGradGuard no_grad;
  // CenterNet's prior: few cells hold a centre, so the heatmap starts near 0.1, not 0.5.
  heat_->bias.fill_(-std::log((1 - 0.1) / 0.1));
  // Sizes start at a typical person, 2 x 5 cells; offsets at the cell centre.
  size_->weight.mul_(0.1);
  size_->bias[0] = std::log(2.0);
  size_->bias[1] = std::log(5.0);
  offset_->weight.mul_(0.1);
  offset_->bias.zero_();
}

torch::Tensor upsample_add(const torch::Tensor& coarse, const torch::Tensor& fine) {
  namespace F = torch::nn::functional;
  return fine + F::interpolate(coarse, F::InterpolateFuncOptions()
                                           .size(std::vector<int64_t>{fine.size(2), fine.size(3)})
                                           .mode(torch::kNearest));
}

PersonDetectorMaps PersonDetectorNetImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != 3 || x.size(2) != config_.input_height ||
      x.size(3) != config_.input_width)
    throw Error("detector input must be [B, 3, " + std::to_string(config_.input_height) + ", " +
                std::to_string(config_.input_width) + "]");
  const auto levels = backbone_->forward(x);
  torch::Tensor p = lateral_[2](levels[3]);
  p = upsample_add(p, lateral_[1](levels[2]));
  p = upsample_add(p, lateral_[0](levels[1]));
  p = head_(p);
  return {heat_(p), offset_(p), size_(p)};
}

torch::Tensor person_detector_grid(const PersonDetectorNetConfig& config) {
  const int64_t h = config.input_height / kPersonDetectorStride,
                w = config.input_width / kPersonDetectorStride;
  const auto s = static_cast<double>(kPersonDetectorStride);
  auto ys = (torch::arange(h, torch::kFloat) + 0.5) * s;
  auto xs = (torch::arange(w, torch::kFloat) + 0.5) * s;
  auto grid = torch::stack({xs.view({1, w}).expand({h, w}), ys.view({h, 1}).expand({h, w})});
  return grid.unsqueeze(0).contiguous();
}

torch::Tensor PersonDetectorNetImpl::decode(const PersonDetectorMaps& maps) const {
  const auto s = static_cast<double>(kPersonDetectorStride);
  const auto grid = person_detector_grid(config_).to(maps.offset.device());
  const auto centres = maps.offset * s + grid;
  const auto sizes = torch::exp(maps.size) * s;
  const auto table = torch::cat({centres, sizes, torch::sigmoid(maps.heat)}, 1);
  return table.flatten(2);
}

}  // namespace hat
