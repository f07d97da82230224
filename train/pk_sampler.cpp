#include "train/pk_sampler.h"

#include <algorithm>
#include <random>

#include "base/error.h"

namespace hat {

PkSampler::PkSampler(std::vector<int> labels, int p, int k, uint64_t seed,
                     const std::vector<std::pair<int, int>>& hard_negatives)
    : p_(p), k_(k), seed_(seed) {
  if (p < 2 || k < 1) throw Error("P x K sampling needs P >= 2 and K >= 1");
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0) throw Error("training labels must be >= 0");
    if (static_cast<size_t>(labels[i]) >= by_identity_.size()) by_identity_.resize(labels[i] + 1);
    by_identity_[labels[i]].push_back(static_cast<int>(i));
  }
  // Labels with no image are left out; `index` maps a label to its place among the rest.
  std::vector<int> index(by_identity_.size(), -1);
  int kept = 0;
  for (size_t label = 0; label < by_identity_.size(); ++label)
    if (!by_identity_[label].empty()) index[label] = kept++;
  by_identity_.erase(std::remove_if(by_identity_.begin(), by_identity_.end(),
                                    [](const auto& v) { return v.empty(); }),
                     by_identity_.end());
  if (static_cast<int>(by_identity_.size()) < p)
    throw Error("P x K sampling needs at least P = " + std::to_string(p) +
                " identities, the data has " + std::to_string(by_identity_.size()));
  partners_.resize(by_identity_.size());
  auto known = [&](int label) {
    return label >= 0 && static_cast<size_t>(label) < index.size() && index[label] >= 0;
  };
  for (const auto& [a, b] : hard_negatives) {
    if (!known(a) || !known(b) || a == b)
      throw Error("hard negative pair (" + std::to_string(a) + ", " + std::to_string(b) +
                  ") does not name two identities of the training data");
    partners_[index[a]].push_back(index[b]);
    partners_[index[b]].push_back(index[a]);
  }
  for (auto& list : partners_) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
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
    std::vector<int> members(available.begin(), available.begin() + p_);
    if (!hard_negatives_empty()) members = with_partners(available, rng);
    std::vector<int> batch;
    for (int id : members) {
      auto& g = groups[id];
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

bool PkSampler::hard_negatives_empty() const {
  return std::all_of(partners_.begin(), partners_.end(), [](const auto& l) { return l.empty(); });
}

std::vector<int> PkSampler::with_partners(const std::vector<int>& available,
                                          std::mt19937_64& rng) const {
  // In the shuffled order, each identity taken is followed by one of its hard negatives that
  // still has images this epoch, drawn at random, while the batch has room.
  std::vector<char> ready(partners_.size(), 0), taken(partners_.size(), 0);
  for (int id : available) ready[id] = 1;
  std::vector<int> members;
  auto take = [&](int id) {
    members.push_back(id);
    taken[id] = 1;
  };
  for (size_t i = 0; i < available.size() && static_cast<int>(members.size()) < p_; ++i) {
    const int id = available[i];
    if (taken[id]) continue;
    take(id);
    if (static_cast<int>(members.size()) == p_) break;
    std::vector<int> open;
    for (int other : partners_[id])
      if (ready[other] && !taken[other]) open.push_back(other);
    if (!open.empty()) take(open[std::uniform_int_distribution<size_t>(0, open.size() - 1)(rng)]);
  }
  return members;
}

}  // namespace hat
