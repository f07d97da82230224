// Learning-rate schedule of the HAT recipe, stepped once per epoch: linear warm-up from
// `warmup_factor` x base over `warmup_epochs`, then x `gamma` at each milestone.
#pragma once

#include <vector>

namespace hat {

struct LrSchedule {
  double base_lr = 4e-4;
  int warmup_epochs = 10;
  double warmup_factor = 0.01;
  double gamma = 0.4;
  std::vector<int> milestones = {50, 70, 90, 110, 130};

  // The rate during 0-based `epoch`.
  double lr_at(int epoch) const;

  // Milestones at `first`, then every `step` epochs, before `epochs` (the recipe: 50, 20, 150).
  static std::vector<int> every(int first, int step, int epochs);
};

}  // namespace hat
