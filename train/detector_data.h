// The training images of the site person detector (`hat-train detector`), made from a site's own
// unlabeled video and nothing else:
//  (a) the project's synthetic people composited onto the camera's background plate
//      (train/composite_scene.h), with exact boxes; heavily occluded people are "ignore";
//  (b) real frames of the video with pseudo-labels: the boxes of confident, long tracks that the
//      project's background detector and tracker find (train/tracklet_miner.h); every other
//      detection, down to weak ones, is an ignore region, so that a person the pseudo-labels
//      missed is not taught as background.
// Every image goes through the detector's run-time preprocessing (detection/letterbox.h) and
// its boxes into network-input pixels.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "train/tracklet_miner.h"

namespace hat {

struct DetectorSample {
  cv::Mat image;                   // RGB, the network input's size (letterboxed)
  cv::Size content;                // the part of `image` that the frame covers
  std::vector<cv::Rect2f> boxes;   // people, network-input pixels
  std::vector<cv::Rect2f> ignore;  // regions that are neither person nor background
  bool real = false;               // a real frame (pseudo-labels), not a composite
  int camera = 0, frame = 0;       // where a real frame comes from
};

struct CompositeSampleOptions {
  int scenes = 4;            // sequences rendered, each with its own seed and walkers
  int frames = 200;          // per scene
  int step = 2;              // every step-th frame becomes a sample
  int people = 18;           // walkers per scene
  double min_visible = 0.4;  // less visible people are ignore regions
  uint64_t seed = 1000;      // scene k uses seed + k (keep clear of the test scenes' seeds)
};

// Composites on `plate` (BGR, the camera's size). hat::Error from the renderer.
std::vector<DetectorSample> composite_samples(const cv::Mat& plate, cv::Size input,
                                              const CompositeSampleOptions& options,
                                              std::ostream& log);

struct PseudoLabelOptions {
  int step = 4;                   // every step-th frame of a video becomes a sample
  int warmup = 50;                // frames the background model needs before its boxes count
  double ignore_threshold = 0.1;  // detections down to this confidence become ignore regions
};

// Real frames of `site.videos` with the boxes of `site.tracklets` as people. hat::Error names a
// video that cannot be read.
std::vector<DetectorSample> pseudo_labelled_samples(const MinedSite& site, cv::Size input,
                                                    const PseudoLabelOptions& options,
                                                    std::ostream& log);

// `box` in frame pixels to network-input pixels under a letterbox of `scale`.
cv::Rect2f to_input(const cv::Rect& box, double scale);

}  // namespace hat
