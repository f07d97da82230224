// A synthetic multi-person video with known ground truth for the tracking tests: procedural
// people (train/synthetic_people) walk straight paths over a textured scene, crossing and
// occluding each other (the one lower in the frame is nearer and drawn over the other).
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "evaluation/mot_metrics.h"

namespace hat::test {

struct SyntheticVideo {
  std::vector<cv::Mat> frames;                  // BGR
  TrackSequence truth;                          // every person in the frame, visible or not
  std::vector<std::vector<double>> visibility;  // per frame, per truth entry: unoccluded share
};

SyntheticVideo render_walkers(int width, int height, int frames, int people, uint64_t seed);

// The same `people` seen by two cameras with different backgrounds, lighting and colour casts:
// each person crosses camera 1, leaves it, and `transit_frames` later crosses camera 2 (in the
// other direction). Ground-truth ids are the person's, shared by both videos.
std::vector<SyntheticVideo> render_two_cameras(int width, int height, int frames, int people,
                                               int transit_frames, uint64_t seed);

// What a good detector would report: boxes of people at least half visible, jittered by a few
// pixels, with a share of misses; ids are not part of detections (returned as 0).
TrackSequence simulated_detections(const SyntheticVideo& video, double miss_rate, uint64_t seed);

}  // namespace hat::test
