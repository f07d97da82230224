#include "model/transformer.h"

#include <cmath>

namespace hat {

namespace nn = torch::nn;

AttentionImpl::AttentionImpl(int64_t dim, int64_t heads, int64_t head_dim, double scale,
                             double dropout)
    : heads_(heads),
      head_dim_(head_dim),
      scale_(scale),
      qkv_(register_module("qkv",
                           nn::Linear(nn::LinearOptions(dim, 3 * heads * head_dim).bias(false)))),
      proj_(register_module("proj", nn::Linear(heads * head_dim, dim))),
      drop_(register_module("drop", nn::Dropout(dropout))) {}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x) {
  const int64_t b = x.size(0), n = x.size(1);
  // [B, N, 3, H, Dh] -> [3, B, H, N, Dh]
  auto qkv = qkv_(x).view({b, n, 3, heads_, head_dim_}).permute({2, 0, 3, 1, 4});
  auto out = at::scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], /*attn_mask=*/{},
                                              /*dropout_p=*/0.0, /*is_causal=*/false, scale_);
  out = out.transpose(1, 2).reshape({b, n, heads_ * head_dim_});
  return drop_(proj_(out));
}

FeedForwardImpl::FeedForwardImpl(int64_t dim, int64_t hidden, double dropout)
    : fc1_(register_module("fc1", nn::Linear(dim, hidden))),
      fc2_(register_module("fc2", nn::Linear(hidden, dim))),
      drop_(register_module("drop", nn::Dropout(dropout))) {}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  return drop_(fc2_(drop_(torch::gelu(fc1_(x)))));
}

TransformerBlockImpl::TransformerBlockImpl(int64_t dim, const HatConfig& c)
    : attn_norm_(register_module("attn_norm", nn::LayerNorm(nn::LayerNormOptions({dim})))),
      ff_norm_(register_module("ff_norm", nn::LayerNorm(nn::LayerNormOptions({dim})))),
      attn_(register_module("attn",
                            Attention(dim, c.heads, c.head_dim,
                                      1.0 / std::sqrt(static_cast<double>(
                                                c.attn_scale_by_model_dim ? dim : c.head_dim)),
                                      c.dropout))),
      ff_(register_module("ff", FeedForward(dim, c.mlp_dim, c.dropout))) {}

torch::Tensor TransformerBlockImpl::forward(torch::Tensor x) {
  x = x + attn_(attn_norm_(x));
  return x + ff_(ff_norm_(x));
}

}  // namespace hat
