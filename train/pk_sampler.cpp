#include "train/pk_sampler.h"

#include <algorithm>
#include <random>

#include "base/error.h"

namespace hat {

PkSampler::PkSampler(std::vector<int> labels, int p, int k, uint64_t seed)
    : p_(p), k_(k), seed_(seed) {
  if (p < 2 || k < 1) throw Error("P x K sampling needs P >= 2 and K >= 1");
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0) throw Error("training labels must be >= 0");
    if (static_cast<size_t>(labels[i]) >= by_identity_.size()) by_identity_.resize(labels[i] + 1);
    by_identity_[labels[i]].push_back(static_cast<int>(i));
  }
  by_identity_.erase(std::remove_if(by_identity_.begin(), by_identity_.end(),
                                    [](const auto& v) { return v.empty(); }),
                     by_identity_.end());
  if (static_cast<int>(by_identity_.size()) < p)
    throw Error("P x K sampling needs at least P = " + std::to_string(p) +
                " identities, the data has " + std::to_string(by_identity_.size()));
}

std::vector<std::vector<int>> PkSampler::epoch(int epoch) const {
  std::mt19937_64 rng(seed_ * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(epoch));
  // Each identity's images, shuffled (padded by drawing with replacement) and cut into groups of K.
  std::vector<std::vector<std::vector<int>>> groups(by_identity_.size());
  for (size_t id = 0; id < by_identity_.size(); ++id) {
    std::vector<int> images = by_identity_[id];
    if (static_cast<int>(images.size()) < k_) {
      std::uniform_int_distribution<size_t> pick(0, images.size() - 1);
      std::vector<int> drawn;
      for (int i = 0; i < k_; ++i) drawn.push_back(images[pick(rng)]);
      images = drawn;
    }
    std::shuffle(images.begin(), images.end(), rng);
    for (size_t start = 0; start + k_ <= images.size(); start += k_)
      groups[id].emplace_back(images.begin() + static_cast<long>(start),
                              images.begin() + static_cast<long>(start) + k_);
  }
  // Batches of P distinct identities, each contributing its next group, while P have groups left.
  std::vector<int> available;
  for (size_t id = 0; id < groups.size(); ++id)
    if (!groups[id].empty()) available.push_back(static_cast<int>(id));
  std::vector<std::vector<int>> batches;
  while (static_cast<int>(available.size()) >= p_) {
    std::shuffle(available.begin(), available.end(), rng);
    std::vector<int> batch;
    for (int i = 0; i < p_; ++i) {
      auto& g = groups[available[i]];
      batch.insert(batch.end(), g.back().begin(), g.back().end());
      g.pop_back();
    }
    batches.push_back(std::move(batch));
    available.erase(std::remove_if(available.begin(), available.end(),
                                   [&](int id) { return groups[id].empty(); }),
                    available.end());
  }
  return batches;
}

}  // namespace hat
