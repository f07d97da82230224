// Per-camera multi-object tracker: Kalman prediction + minimum-cost association on IoU (SORT),
// with appearance (cosine distance of re-ID embeddings) joining the cost when detections carry
// embeddings (DeepSORT-like); tentative tracks are confirmed after min_hits matches and deleted
// after max_age frames without one.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "tracking/kalman_box_filter.h"

namespace hat::tracking {

struct TrackerOptions {
  int max_age = 30;                   // frames a track survives without a matched detection
  int min_hits = 3;                   // matches before a track is confirmed (gets its id out)
  double iou_threshold = 0.3;         // minimum IoU for a motion-only match
  double max_cosine_distance = 0.25;  // appearance gate when both sides have embeddings
  double appearance_weight = 0.5;     // share of appearance in the cost (when available)
};

struct TrackerDetection {
  cv::Rect box;
  std::vector<float> embedding;  // empty when the detection has none
};

struct TrackerOutput {
  int detection = -1;  // index into this frame's detections; -1 for a predicted-only box
  int track_id = 0;    // 0 while the track is tentative
  cv::Rect box;        // the detection's box, or the prediction when detection == -1
  int age = 0;         // frames since the track started
};

class SortTracker {
 public:
  explicit SortTracker(const TrackerOptions& options);

  // One frame. `detector_ran` is false on frames the detector skipped: tracks then coast on
  // their prediction and every confirmed one is reported as predicted.
  std::vector<TrackerOutput> update(const std::vector<TrackerDetection>& detections,
                                    bool detector_ran = true);
  void reset();  // a new stream: forget tracks, restart ids at 1
  size_t track_count() const { return tracks_.size(); }

 private:
  struct Track {
    int id = 0;  // assigned at confirmation
    KalmanBoxFilter filter;
    cv::Rect predicted;
    int hits = 0;
    int age = 0;
    int since_update = 0;
    std::vector<float> appearance;  // running mean of L2-normalised embeddings
  };
  double cost(const Track& track, const cv::Rect& box,
              const std::vector<float>& unit_embedding) const;

  TrackerOptions options_;
  std::vector<Track> tracks_;
  int next_id_ = 1;
};

}  // namespace hat::tracking
