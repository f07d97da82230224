#include "model/tfc.h"

namespace hat {

namespace nn = torch::nn;

TfcImpl::TfcImpl(const HatConfig& c, int level, bool with_map_output)
    : grid_h_(c.grid_height()), grid_w_(c.grid_width()) {
  const int64_t dim = c.tfc_dim[level];
  embed_ = register_module("embed", nn::Linear(c.tfc_in_dim(level), dim));
  // N(0, 1) initialisation, as in the reference.
  cls_token_ = register_parameter("cls_token", torch::randn({1, 1, dim}));
  pos_embedding_ = register_parameter("pos_embedding", torch::randn({1, c.num_tokens() + 1, dim}));
  drop_ = register_module("drop", nn::Dropout(c.dropout));
  blocks_ = register_module("blocks", nn::ModuleList());
  for (int i = 0; i < c.tfc_depth[level]; ++i) blocks_->push_back(TransformerBlock(dim, c));
  if (with_map_output) nea_ = register_module("nea", Bottleneck(dim, dim / 4, dim, 1));
}

TfcOutput TfcImpl::forward(const torch::Tensor& map) {
  const int64_t b = map.size(0);
  auto x = embed_(map.flatten(2).transpose(1, 2));  // [B, gh*gw, dim], row-major grid order
  x = torch::cat({cls_token_.expand({b, 1, x.size(2)}), x}, 1) + pos_embedding_;
  x = drop_(x);
  for (const auto& block : *blocks_) x = block->as<TransformerBlock>()->forward(x);
  TfcOutput out;
  out.cls = x.select(1, 0);
  if (nea_) {
    auto grid =
        x.narrow(1, 1, grid_h_ * grid_w_).transpose(1, 2).reshape({b, x.size(2), grid_h_, grid_w_});
    out.map = nea_(grid);
  }
  return out;
}

}  // namespace hat
