// The Hierarchical Aggregation: per-level refinement and the chain of TFCs over layer1..layer3.
#pragma once

#include <array>

#include <torch/torch.h>

#include "model/config.h"
#include "model/tfc.h"

namespace hat {

class AggregationImpl : public torch::nn::Module {
 public:
  explicit AggregationImpl(const HatConfig& config);
  // levels: the outputs of layer1..layer3. Returns the CLS vector of each TFC.
  std::array<torch::Tensor, kNumLevels> forward(const std::array<torch::Tensor, 4>& stages);

 private:
  int64_t grid_h_, grid_w_;
  std::array<torch::nn::Sequential, kNumLevels> refine_;
  std::array<Tfc, kNumLevels> tfc_{nullptr, nullptr, nullptr};
};
TORCH_MODULE(Aggregation);

}  // namespace hat
