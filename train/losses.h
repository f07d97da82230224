// The HAT losses: label-smoothed cross-entropy, batch-hard triplet, and their deeply supervised
// sum over the four branches.
#pragma once

#include <array>

#include <torch/torch.h>

#include "model/hat_model.h"

namespace hat {

// Cross-entropy against (1 - eps) one-hot + eps / classes, averaged over the batch.
torch::Tensor label_smoothed_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels,
                                           double epsilon);

// Batch-hard triplet loss on Euclidean distances (sqrt of the squared distance clamped at 1e-12,
// features not normalised): for each anchor its farthest positive and nearest negative,
// mean(max(0, d_pos - d_neg + margin)). Anchors without a positive or a negative in the batch are
// left out.
torch::Tensor batch_hard_triplet(const torch::Tensor& features, const torch::Tensor& labels,
                                 double margin);

// Per-branch weights in the order global, level1, level2, level3; the reference's 1, 0.5, 0.5, 1.
struct LossWeights {
  std::array<double, 4> identity = {1.0, 0.5, 0.5, 1.0};
  std::array<double, 4> triplet = {1.0, 0.5, 0.5, 1.0};
  double label_smoothing = 0.1;
  double margin = 0.3;
};

struct LossTerms {
  torch::Tensor total;
  std::array<torch::Tensor, 4> identity, triplet;  // unweighted, per branch
};

// Deep supervision: every branch trained with identity and triplet losses.
LossTerms deep_supervision_loss(const TrainOutput& output, const torch::Tensor& labels,
                                const LossWeights& weights);

}  // namespace hat
