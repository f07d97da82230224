// The HAT network: a CNN backbone (ResNet or MobileNetV2), hierarchical aggregation (TFC chain) and
// four BNNeck heads.
#pragma once

#include <array>

#include <torch/torch.h>

#include "model/aggregation.h"
#include "model/backbone.h"
#include "model/bnneck.h"
#include "model/config.h"

namespace hat {

// What deep supervision trains on: every branch's logits and its feature before BN, in the order
// global (layer4 GAP), level1, level2, level3 (the TFC CLS tokens). Logits are undefined for a
// model without classifiers.
struct TrainOutput {
  std::array<torch::Tensor, 4> logits;
  std::array<torch::Tensor, 4> features;
};

class HatModelImpl : public torch::nn::Module {
 public:
  explicit HatModelImpl(const HatConfig& config);

  // The pre-BN features of every branch, [B, branch_dim] each.
  std::array<torch::Tensor, 4> features(const torch::Tensor& images);
  // Training forward (deep supervision): logits and pre-BN features of all four branches.
  TrainOutput forward_train(const torch::Tensor& images);
  // Test-time embedding: the configured branches after BN, concatenated ([B, embedding_dim]).
  torch::Tensor embed(const torch::Tensor& images);

  const HatConfig& config() const { return config_; }

 private:
  HatConfig config_;
  std::shared_ptr<BackboneNetImpl> backbone_;
  Aggregation aggregation_{nullptr};
  torch::nn::ModuleDict heads_{nullptr};  // keyed by branch name, for a readable state dict
  std::array<BnNeck, 4> necks_{nullptr, nullptr, nullptr, nullptr};  // the same, by Branch
};
TORCH_MODULE(HatModel);

}  // namespace hat
