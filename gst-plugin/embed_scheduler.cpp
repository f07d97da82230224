#include "gst-plugin/embed_scheduler.h"

#include <algorithm>
#include <climits>
#include <cmath>

namespace hat::gst {

EmbedScheduler::EmbedScheduler(int reembed_interval, int forget_after_frames)
    : interval_(std::max(reembed_interval, 1)), forget_after_(forget_after_frames) {}

EmbedPlan EmbedScheduler::plan(long frame, const std::vector<EmbedCandidate>& candidates,
                               int capacity) {
  EmbedPlan plan;
  // (waited frames, index): never-embedded ROIs wait "forever" and go first.
  std::vector<std::pair<long, int>> due;
  for (int i = 0; i < static_cast<int>(candidates.size()); ++i) {
    const auto& c = candidates[static_cast<size_t>(i)];
    if (!c.track_id) {
      due.emplace_back(LONG_MAX, i);
      continue;
    }
    auto it = cache_.find(*c.track_id);
    if (it == cache_.end()) {
      due.emplace_back(LONG_MAX, i);
      continue;
    }
    it->second.last_seen = frame;
    const long waited = frame - it->second.computed_at;
    if (waited >= interval_) {
      due.emplace_back(waited, i);
    } else {
      plan.reuse[i] = *c.track_id;
    }
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [waited, i] : due) {
    if (capacity < 0 || static_cast<int>(plan.compute.size()) < capacity) {
      plan.compute.push_back(i);
      continue;
    }
    ++plan.skipped;
    // A skipped track keeps its stale embedding until its turn comes.
    const auto& c = candidates[static_cast<size_t>(i)];
    if (c.track_id && cache_.count(*c.track_id)) plan.reuse[i] = *c.track_id;
  }
  // Tracks gone for long are dropped so the cache stays bounded on endless streams.
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = frame - it->second.last_seen > forget_after_ ? cache_.erase(it) : std::next(it);
  }
  return plan;
}

void EmbedScheduler::store(int track_id, long frame, std::vector<float> embedding) {
  cache_[track_id] = Entry{std::move(embedding), frame, frame};
}

const std::vector<float>* EmbedScheduler::cached(int track_id, long* computed_at) const {
  auto it = cache_.find(track_id);
  if (it == cache_.end()) return nullptr;
  if (computed_at) *computed_at = it->second.computed_at;
  return &it->second.embedding;
}

void CostModel::observe(int crops, double seconds) {
  if (crops <= 0) return;
  // The fixed part is taken as a fifth of a single-crop pass; what matters is the per-crop rate.
  const double per_crop = seconds / (crops + 0.25);
  const double fixed = 0.25 * per_crop;
  if (!seeded_) {
    per_crop_ = per_crop;
    fixed_ = fixed;
    seeded_ = true;
    return;
  }
  // Exponential average: adapts within a few frames when the load on the machine changes.
  per_crop_ = 0.8 * per_crop_ + 0.2 * per_crop;
  fixed_ = 0.8 * fixed_ + 0.2 * fixed;
}

int CostModel::affordable(double budget_s) const {
  if (!seeded_) return 1;
  if (per_crop_ <= 0) return INT_MAX;
  return std::max(0, static_cast<int>(std::floor((budget_s - fixed_) / per_crop_)));
}

}  // namespace hat::gst
