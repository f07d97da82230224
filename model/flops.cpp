#include "model/flops.h"

#include "model/mobilenet_v2_spec.h"

namespace hat {

namespace {

// Output size of a convolution with padding k/2.
int out_size(int in, int kernel, int stride) {
  return (in + 2 * (kernel / 2) - kernel) / stride + 1;
}

double conv(int cin, int cout, int kernel, int h_out, int w_out) {
  return 2.0 * cin * cout * kernel * kernel * h_out * w_out;
}

// A bottleneck (in -> planes -> out, stride) at input resolution h x w; updates h, w.
double bottleneck(int in, int planes, int out, int stride, int& h, int& w) {
  const int ho = out_size(h, 3, stride), wo = out_size(w, 3, stride);
  double f =
      conv(in, planes, 1, h, w) + conv(planes, planes, 3, ho, wo) + conv(planes, out, 1, ho, wo);
  if (stride != 1 || in != out) f += conv(in, out, 1, ho, wo);
  h = ho;
  w = wo;
  return f;
}

double basic_block(int in, int planes, int stride, int& h, int& w) {
  const int ho = out_size(h, 3, stride), wo = out_size(w, 3, stride);
  double f = conv(in, planes, 3, ho, wo) + conv(planes, planes, 3, ho, wo);
  if (stride != 1 || in != planes) f += conv(in, planes, 1, ho, wo);
  h = ho;
  w = wo;
  return f;
}

// ResNet's stem and layer1..layer4; the output sizes of the four levels go to stage_size.
double resnet(const HatConfig& c, std::array<std::pair<int, int>, 4>& stage_size) {
  int h = out_size(c.input_height, 7, 2), w = out_size(c.input_width, 7, 2);
  double f = conv(3, 64, 7, h, w);
  h = out_size(h, 3, 2);  // maxpool
  w = out_size(w, 3, 2);
  const bool bottlenecks = c.backbone == Backbone::kResNet50;
  const std::array<int, 4> blocks = c.stage_blocks();
  const std::array<int, 4> strides = {1, 2, 2, c.last_stride};
  int in = 64;
  for (int s = 0; s < 4; ++s) {
    const int planes = 64 << s;
    for (int b = 0; b < blocks[s]; ++b) {
      const int stride = b == 0 ? strides[s] : 1;
      if (bottlenecks) {
        f += bottleneck(in, planes, planes * 4, stride, h, w);
        in = planes * 4;
      } else {
        f += basic_block(in, planes, stride, h, w);
        in = planes;
      }
    }
    stage_size[s] = {h, w};
  }
  return f;
}

// MobileNetV2's inverted residual (in -> in * t -> out, depthwise 3x3 at `stride`).
double inverted_residual(int in, int out, int stride, int t, int& h, int& w) {
  const int hidden = in * t;
  const int ho = out_size(h, 3, stride), wo = out_size(w, 3, stride);
  double f = t == 1 ? 0.0 : conv(in, hidden, 1, h, w);
  f += 2.0 * hidden * 9 * ho * wo;  // depthwise: one 3x3 filter per channel
  f += conv(hidden, out, 1, ho, wo);
  h = ho;
  w = wo;
  return f;
}

// MobileNetV2's features[0..18]; the output sizes of the four levels go to stage_size.
double mobilenet_v2(const HatConfig& c, std::array<std::pair<int, int>, 4>& stage_size) {
  int h = out_size(c.input_height, 3, 2), w = out_size(c.input_width, 3, 2);
  double f = conv(3, kMobileNetV2StemChannels, 3, h, w);
  int in = kMobileNetV2StemChannels, index = 1;
  size_t level = 0;
  for (size_t s = 0; s < kMobileNetV2Stages.size(); ++s) {
    const auto& stage = kMobileNetV2Stages[s];
    const int stride =
        static_cast<int>(s) == kMobileNetV2LastStrideStage ? c.last_stride : stage.stride;
    for (int i = 0; i < stage.repeats; ++i, ++index) {
      f += inverted_residual(in, stage.channels, i == 0 ? stride : 1, stage.expand_ratio, h, w);
      in = stage.channels;
      if (index == kMobileNetV2LevelEnds[level]) stage_size[level++] = {h, w};
    }
  }
  f += conv(in, kMobileNetV2LastChannels, 1, h, w);
  stage_size[3] = {h, w};
  return f;
}

}  // namespace

FlopCount count_flops(const HatConfig& c) {
  FlopCount f;
  std::array<std::pair<int, int>, 4> stage_size;
  f.backbone =
      c.backbone == Backbone::kMobileNetV2 ? mobilenet_v2(c, stage_size) : resnet(c, stage_size);
  const auto channels = c.stage_channels();
  const double n = c.num_tokens() + 1;  // patch tokens + CLS
  for (int l = 0; l < kNumLevels; ++l) {
    int lh = stage_size[l].first, lw = stage_size[l].second;
    for (int i = 0; i < c.refine_depth[l]; ++i)
      f.refine += bottleneck(channels[l], channels[l] / 4, channels[l], 1, lh, lw);
    const double d = c.tfc_dim[l], inner = static_cast<double>(c.heads) * c.head_dim;
    f.tfc += 2.0 * c.num_tokens() * c.tfc_in_dim(l) * d;  // token embedding
    const double attention = 2.0 * 2.0 * n * n * inner;   // QK^T and AV
    const double per_block = 2.0 * n * (d * 3 * inner + inner * d + 2 * d * c.mlp_dim) + attention;
    f.tfc += c.tfc_depth[l] * per_block;
    f.attention += c.tfc_depth[l] * attention;
    if (l + 1 < kNumLevels) {  // NeA; the last level has none
      int gh = c.grid_height(), gw = c.grid_width();
      f.tfc += bottleneck(c.tfc_dim[l], c.tfc_dim[l] / 4, c.tfc_dim[l], 1, gh, gw);
    }
  }
  for (Branch b : {Branch::kGlobal, Branch::kLevel1, Branch::kLevel2, Branch::kLevel3})
    f.heads += 2.0 * c.branch_dim(b) * c.num_classes;
  return f;
}

}  // namespace hat
