// P x K identity sampler: every batch holds P identities with K images each (drawn with
// replacement when an identity has fewer than K). An epoch's batches depend only on the seed and
// the epoch number, so training resumes exactly from (epoch, batch). Identities known to be
// different people yet easily confused (two tracklets seen in one frame of a site's camera) can
// be given as hard negatives: each identity placed in a batch brings one of its hard negatives
// with it when one is left, so that batch-hard triplet mining sees them side by side.
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace hat {

class PkSampler {
 public:
  // labels[i]: the training identity (0..N-1) of image i; hard_negatives: pairs of identities
  // (labels) that are different people. Without them the batches are those of plain P x K
  // sampling. hat::Error for P < 2, K < 1, a negative label, fewer than P identities, or a pair
  // naming an identity that has no image or the same identity twice.
  PkSampler(std::vector<int> labels, int p, int k, uint64_t seed,
            const std::vector<std::pair<int, int>>& hard_negatives = {});

  // The batches of `epoch`: each P*K image indices, identities grouped K by K.
  std::vector<std::vector<int>> epoch(int epoch) const;

 private:
  bool hard_negatives_empty() const;
  // P members of a batch from the shuffled `available` identities, hard negatives beside them.
  std::vector<int> with_partners(const std::vector<int>& available, std::mt19937_64& rng) const;

  std::vector<std::vector<int>> by_identity_;
  std::vector<std::vector<int>> partners_;  // per identity of by_identity_: its hard negatives
  int p_, k_;
  uint64_t seed_;
};

}  // namespace hat
