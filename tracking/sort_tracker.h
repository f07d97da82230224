// Per-camera multi-object tracker for static cameras. Each track is a Kalman filter
// (tracking/kalman_box_filter) associated with detections by minimum cost, in the two stages
// of ByteTrack (Zhang et al., 2022):
//   1. every track against the confident detections (confidence >= high_threshold), on IoU with
//      the prediction, and on appearance too (cosine distance of re-ID embeddings) when both
//      sides carry embeddings (DeepSORT-like); a track lost for a while can be re-activated by
//      appearance alone, near where it was lost;
//   2. the tracks still unmatched that were matched at the previous detector frame, against the
//      weak detections, on IoU alone (a person half hidden or blurred keeps their track).
// Confident detections left over start tentative tracks, confirmed after min_hits matches; weak
// ones left over are discarded (they appear in no output). Tentative tracks die at their first
// miss, confirmed ones max_age frames after their last match, or at once when their prediction
// leaves the frame (set_frame_size). A lost track is not reported until it is matched again.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "tracking/kalman_box_filter.h"

namespace hat::tracking {

struct TrackerOptions {
  int max_age = 30;                   // frames a track survives without a matched detection
  int min_hits = 3;                   // matches before a track is confirmed (gets its id out)
  double iou_threshold = 0.3;         // minimum IoU for a motion-only match (stage 1)
  double high_threshold = 0.6;        // confidence that enters stage 1 and may start a track
  double low_iou_threshold = 0.5;     // minimum IoU for a weak detection (stage 2)
  double max_cosine_distance = 0.25;  // appearance gate when both sides have embeddings
  double appearance_weight = 0.5;     // share of appearance in the cost (when available)
};

struct TrackerDetection {
  cv::Rect box;
  std::vector<float> embedding;  // empty when the detection has none
  double confidence = 1.0;       // 0..1; below high_threshold: stage 2 only
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

  // The frame the boxes are in: a track whose prediction is mostly outside it has left and is
  // ended. Without it (0 x 0) tracks leave by max_age only.
  void set_frame_size(cv::Size size) { frame_ = size; }

  // One frame. Every detection that continues or starts a track has one output, in detection
  // order; weak ones that match no track have none. `detector_ran` is false on frames the
  // detector skipped: the tracks matched at the last detector frame are then reported at their
  // prediction.
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
    int since_update = 0;           // frames since the last match
    std::vector<float> appearance;  // running mean of L2-normalised embeddings
  };
  // Matched at the last frame the detector ran (as opposed to lost).
  bool is_tracked(const Track& t) const { return t.since_update <= since_detection_; }
  bool has_left(const Track& t) const;
  double cost(const Track& track, const cv::Rect& box,
              const std::vector<float>& unit_embedding) const;

  TrackerOptions options_;
  cv::Size frame_;
  std::vector<Track> tracks_;
  int next_id_ = 1;
  int since_detection_ = 0;  // frames since the detector last ran
};

}  // namespace hat::tracking
