// The recipe's optimiser: Adam with L2 weight decay on every parameter, the Transformer blocks of
// the TFCs at a fraction of the learning rate (the reference: 0.5).
#pragma once

#include <memory>

#include <torch/torch.h>

#include "model/hat_model.h"

namespace hat {

struct OptimizerOptions {
  double lr = 4e-4;
  double weight_decay = 5e-4;
  double transformer_lr_factor = 0.5;
};

// Two groups: 0 = everything else, 1 = the Transformer blocks (aggregation.tfc*.blocks.*).
std::unique_ptr<torch::optim::Adam> make_optimizer(HatModelImpl& model,
                                                   const OptimizerOptions& options);

// Sets group 0 to `lr` and group 1 to lr x transformer_lr_factor.
void set_learning_rate(torch::optim::Adam& optimizer, double lr, const OptimizerOptions& options);

}  // namespace hat
