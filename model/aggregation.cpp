#include "model/aggregation.h"

namespace hat {

AggregationImpl::AggregationImpl(const HatConfig& c)
    : grid_h_(c.grid_height()), grid_w_(c.grid_width()) {
  const auto channels = c.stage_channels();
  for (int l = 0; l < kNumLevels; ++l) {
    const std::string n = std::to_string(l + 1);
    refine_[l] = register_module("refine" + n, make_refine_stack(channels[l], c.refine_depth[l]));
    // The last TFC's map output would feed nothing: it is not built.
    tfc_[l] = register_module("tfc" + n, Tfc(c, l, /*with_map_output=*/l + 1 < kNumLevels));
  }
}

std::array<torch::Tensor, kNumLevels> AggregationImpl::forward(
    const std::array<torch::Tensor, 4>& stages) {
  std::array<torch::Tensor, kNumLevels> cls;
  torch::Tensor previous;
  for (int l = 0; l < kNumLevels; ++l) {
    auto x = refine_[l]->is_empty() ? stages[l] : refine_[l]->forward(stages[l]);
    // Refinement runs at full resolution; only then is the map brought to the token grid.
    if (x.size(2) != grid_h_ || x.size(3) != grid_w_)
      x = std::get<0>(torch::adaptive_max_pool2d(x, {grid_h_, grid_w_}));
    if (previous.defined()) x = torch::cat({x, previous}, 1);  // current level first
    auto out = tfc_[l]->forward(x);
    cls[l] = out.cls;
    previous = out.map;
  }
  return cls;
}

}  // namespace hat
