// BNNeck head: BatchNorm1d with a frozen zero bias, then a bias-free identity classifier.
#pragma once

#include <torch/torch.h>

namespace hat {

class BnNeckImpl : public torch::nn::Module {
 public:
  BnNeckImpl(int64_t dim, int64_t num_classes);
  torch::Tensor normalize(const torch::Tensor& feature) { return bn_(feature); }
  // Logits of the normalised feature; requires num_classes > 0.
  torch::Tensor classify(const torch::Tensor& normalized) { return classifier_(normalized); }
  bool has_classifier() const { return !classifier_.is_empty(); }

 private:
  torch::nn::BatchNorm1d bn_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(BnNeck);

}  // namespace hat
