// The pre-norm Transformer block of a TFC (multi-head self-attention + feed-forward).
#pragma once

#include <torch/torch.h>

#include "model/config.h"

namespace hat {

// Multi-head self-attention. qkv has no bias; the output projection is followed by dropout.
// Logits are scaled by `scale`, which the reference sets to model_dim^-0.5 (not head_dim^-0.5).
class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t dim, int64_t heads, int64_t head_dim, double scale, double dropout);
  torch::Tensor forward(const torch::Tensor& x);  // [B, N, dim] -> [B, N, dim]

 private:
  int64_t heads_, head_dim_;
  double scale_;
  torch::nn::Linear qkv_{nullptr}, proj_{nullptr};
  torch::nn::Dropout drop_{nullptr};
};
TORCH_MODULE(Attention);

// Linear -> GELU -> dropout -> Linear -> dropout.
class FeedForwardImpl : public torch::nn::Module {
 public:
  FeedForwardImpl(int64_t dim, int64_t hidden, double dropout);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
  torch::nn::Dropout drop_{nullptr};
};
TORCH_MODULE(FeedForward);

// x = x + Attn(LN(x)); x = x + FF(LN(x)).
class TransformerBlockImpl : public torch::nn::Module {
 public:
  TransformerBlockImpl(int64_t dim, const HatConfig& config);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::LayerNorm attn_norm_{nullptr}, ff_norm_{nullptr};
  Attention attn_{nullptr};
  FeedForward ff_{nullptr};
};
TORCH_MODULE(TransformerBlock);

}  // namespace hat
