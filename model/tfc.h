// Transformer-based Feature Calibration: one level of the HAT aggregation.
#pragma once

#include <torch/torch.h>

#include "model/config.h"
#include "model/resnet.h"
#include "model/transformer.h"

namespace hat {

struct TfcOutput {
  torch::Tensor map;  // [B, dim, gh, gw] after NeA; undefined when the TFC has no map output
  torch::Tensor cls;  // [B, dim]
};

// Tokens of a [B, in_dim, gh, gw] map -> Linear(in_dim, dim) -> prepend CLS -> + position
// embedding -> dropout -> `depth` Transformer blocks. The patch tokens, back on the grid, pass
// Neighborhood Adjustment (one C -> C/4 -> C bottleneck) to form the map output.
class TfcImpl : public torch::nn::Module {
 public:
  TfcImpl(const HatConfig& config, int level, bool with_map_output);
  TfcOutput forward(const torch::Tensor& map);

 private:
  int64_t grid_h_, grid_w_;
  torch::nn::Linear embed_{nullptr};
  torch::Tensor cls_token_, pos_embedding_;
  torch::nn::Dropout drop_{nullptr};
  torch::nn::ModuleList blocks_{nullptr};
  Bottleneck nea_{nullptr};
};
TORCH_MODULE(Tfc);

}  // namespace hat
