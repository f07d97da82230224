// Multi-object tracking metrics: CLEAR MOT (MOTA, with identity switches) and IDF1, as defined
// by Bernardin & Stiefelhagen (2008) and Ristani et al. (2016), matching boxes at an IoU bar
// (tracking/box_iou) by minimum-cost assignment (tracking/linear_assignment).
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace hat {

struct TrackedBox {
  int id = 0;
  cv::Rect box;
};

// One entry per frame, ground truth and tracker output in the same frame order.
using TrackSequence = std::vector<std::vector<TrackedBox>>;

struct MotMetrics {
  double mota = 0.0;
  double idf1 = 0.0;
  long ground_truth = 0;  // ground-truth boxes over all frames
  long misses = 0;
  long false_positives = 0;
  long id_switches = 0;
  long idtp = 0;
};

// A MOTChallenge file (frame, id, x, y, w, h, ...; frames 1-based) as `frames` frames of boxes;
// lines of frames beyond them are left out. hat::Error when the file cannot be read.
TrackSequence read_mot_file(const std::string& path, size_t frames);

MotMetrics evaluate_tracking(const TrackSequence& truth, const TrackSequence& tracked,
                             double iou_threshold = 0.5);

}  // namespace hat
