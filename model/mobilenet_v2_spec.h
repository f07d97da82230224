// MobileNetV2's architecture as numbers (width 1.0), shared by the module (model/mobilenet_v2.h)
// and the FLOP count (model/flops.h), which compiles without LibTorch.
#pragma once

#include <array>

namespace hat {

// The indices into features whose outputs are the four levels.
constexpr std::array<int, 4> kMobileNetV2LevelEnds = {3, 6, 13, 18};

// The inverted-residual settings (expansion t, channels c, repeats n, stride s) of width 1.0.
struct InvertedResidualStage {
  int expand_ratio, channels, repeats, stride;
};
constexpr std::array<InvertedResidualStage, 7> kMobileNetV2Stages = {{{1, 16, 1, 1},
                                                                      {6, 24, 2, 2},
                                                                      {6, 32, 3, 2},
                                                                      {6, 64, 4, 2},
                                                                      {6, 96, 3, 1},
                                                                      {6, 160, 3, 2},
                                                                      {6, 320, 1, 1}}};
// The stage that takes the configured last stride (160 channels: stride 32, or 16 with 1).
constexpr int kMobileNetV2LastStrideStage = 5;
constexpr int kMobileNetV2StemChannels = 32;
constexpr int kMobileNetV2LastChannels = 1280;

}  // namespace hat
