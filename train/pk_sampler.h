// P x K identity sampler: every batch holds P identities with K images each (drawn with
// replacement when an identity has fewer than K). An epoch's batches depend only on the seed and
// the epoch number, so training resumes exactly from (epoch, batch).
#pragma once

#include <cstdint>
#include <vector>

namespace hat {

class PkSampler {
 public:
  // labels[i]: the training identity (0..N-1) of image i.
  PkSampler(std::vector<int> labels, int p, int k, uint64_t seed);

  // The batches of `epoch`: each P*K image indices, identities grouped K by K.
  std::vector<std::vector<int>> epoch(int epoch) const;

 private:
  std::vector<std::vector<int>> by_identity_;
  int p_, k_;
  uint64_t seed_;
};

}  // namespace hat
