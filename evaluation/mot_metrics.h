// Multi-object tracking metrics: CLEAR MOT (MOTA, with identity switches) and IDF1, as defined
// by Bernardin & Stiefelhagen (2008) and Ristani et al. (2016), matching boxes at an IoU bar
// (tracking/box_iou) by minimum-cost assignment (tracking/linear_assignment). Per frame the
// matching follows py-motmetrics (the MOTChallenge devkit's Python port), so that both give the
// same counts: a pair matched in an earlier frame stays matched while its IoU reaches the bar,
// the rest are assigned by minimum 1 - IoU, and a ground-truth id matched to another tracker id
// than at its last match is a switch.
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
  double precision = 0.0;  // matched / tracker boxes (1 when there are none)
  double recall = 0.0;     // matched / ground-truth boxes
  long ground_truth = 0;   // ground-truth boxes over all frames
  long predicted = 0;      // tracker boxes over all frames
  long matches = 0;        // matched pairs, switches included
  long misses = 0;
  long false_positives = 0;
  long id_switches = 0;
  long idtp = 0;
  long gt_ids = 0, predicted_ids = 0;  // distinct identities on each side
};

// A MOTChallenge file (frame, id, x, y, w, h, ...; frames 1-based) as `frames` frames of boxes
// (0: up to the file's last frame); lines of frames beyond them are left out, as are lines
// whose 7th column (confidence or ground-truth flag) is 0. hat::Error when the file cannot be
// read or a line is not frame,id,x,y,w,h,... (the error names the line).
TrackSequence read_mot_file(const std::string& path, size_t frames = 0);

// Writes `tracks` as a MOTChallenge file (frame, id, x, y, w, h, 1, -1, -1, -1), through a
// temporary file. hat::Error when it cannot be written.
void write_mot_file(const std::string& path, const TrackSequence& tracks);

// The tracked people of hatevents' JSON lines (docs/METADATA.md): objects with a track_id, the
// event's 0-based "frame" as MOT frame frame + 1. hat::Error names the file and line when a line
// is not such an event.
TrackSequence read_event_tracks(const std::string& path);

// Sequences of different lengths are compared over the longer (missing frames are empty).
MotMetrics evaluate_tracking(const TrackSequence& truth, const TrackSequence& tracked,
                             double iou_threshold = 0.5);

}  // namespace hat
