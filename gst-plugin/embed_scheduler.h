// Which ROIs hatembed embeds on a frame. A tracked person is re-embedded every reembed_interval
// frames and reuses its last embedding in between; untracked ROIs are due every frame. A frame
// has a capacity (how many crops fit in its time budget): due ROIs beyond it are skipped, the
// longest-waiting first in line next time, and counted.
#pragma once

#include <map>
#include <optional>
#include <vector>

namespace hat::gst {

struct EmbedCandidate {
  std::optional<int> track_id;  // the ROI's object_id, if tracked
};

struct EmbedPlan {
  std::vector<int> compute;  // candidate indices to embed now, in priority order
  // candidate index -> the track whose cached embedding it carries (computed earlier)
  std::map<int, int> reuse;
  int skipped = 0;  // due but over capacity
};

class EmbedScheduler {
 public:
  explicit EmbedScheduler(int reembed_interval, int forget_after_frames = 300);

  // `capacity` < 0: unlimited.
  EmbedPlan plan(long frame, const std::vector<EmbedCandidate>& candidates, int capacity);
  void store(int track_id, long frame, std::vector<float> embedding);
  // The cached embedding and the frame it was computed on.
  const std::vector<float>* cached(int track_id, long* computed_at) const;
  void reset() { cache_.clear(); }

 private:
  struct Entry {
    std::vector<float> embedding;
    long computed_at = 0;
    long last_seen = 0;
  };
  int interval_;
  int forget_after_;
  std::map<int, Entry> cache_;
};

// Running estimate of the seconds a forward pass takes for n crops (fixed + per-crop part),
// from which the crops that fit in a time budget follow.
class CostModel {
 public:
  void observe(int crops, double seconds);
  // Crops that fit in `budget_s` (0 when even one is not expected to fit); 1 before any
  // observation, so the first frame measures with a single crop.
  int affordable(double budget_s) const;
  double per_crop_s() const { return per_crop_; }

 private:
  bool seeded_ = false;
  double per_crop_ = 0.0;
  double fixed_ = 0.0;
};

}  // namespace hat::gst
