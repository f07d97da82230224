#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace hat {

double LrSchedule::lr_at(int epoch) const {
  double factor = 1.0;
  if (epoch < warmup_epochs) {
    const double alpha = static_cast<double>(epoch) / warmup_epochs;
    factor = warmup_factor * (1 - alpha) + alpha;
  }
  const auto passed =
      std::upper_bound(milestones.begin(), milestones.end(), epoch) - milestones.begin();
  return base_lr * factor * std::pow(gamma, static_cast<double>(passed));
}

std::vector<int> LrSchedule::every(int first, int step, int epochs) {
  std::vector<int> out;
  for (int e = first; e < epochs; e += step) out.push_back(e);
  return out;
}

}  // namespace hat
