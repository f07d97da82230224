// Synthetic sites: procedural people (train/synthetic_people.h) walking across fixed cameras,
// rendered as video with exact ground truth. One person is drawn over another when nearer (lower
// in the frame). The tracking tests render crowds with it; `hat-train synth-site` writes a whole
// two-camera site for `hat-train adapt`: unlabeled videos to adapt on, and labeled crops and
// videos of other people, in the same look, to measure the result on.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "train/synthetic_people.h"

namespace hat {

struct Walker {
  Identity identity;
  cv::Point2d start, velocity;  // top-left corner of the box, pixels per frame
  int height = 100;
  int enter = 0;  // first frame
};

struct WalkFrame {
  cv::Mat image;                // BGR
  std::vector<int> ids;         // 1-based walker index, per person at least half in the frame
  std::vector<cv::Rect> boxes;  // their full boxes (may reach outside the frame)
  std::vector<double> visible;  // share of the box not covered by nearer people
};

// `walkers` over `scene` seen by `camera` (its occlusion setting is ignored: people occlude each
// other), `frames` frames.
std::vector<WalkFrame> render_walk(const std::vector<Walker>& walkers, Camera camera,
                                   const cv::Mat& scene, int frames, uint64_t seed);

// One crossing of two cameras by `people` people: each walks through camera 1 and, after
// `transit_frames`, through camera 2 in the other direction. Entry every 8 frames, so several
// are in view at once.
struct TwoCameraWalk {
  std::vector<Walker> first, second;
};
TwoCameraWalk two_camera_walk(int width, int height, int people, uint64_t identity_seed,
                              int transit_frames, uint64_t seed);

struct SiteOptions {
  int width = 480, height = 288;
  int people = 12;       // in the adaptation videos
  int test_people = 12;  // other people, for the labeled crops and the test videos
  int transit_frames = 10;
  uint64_t seed = 0;
};

// The look of a site the source training never saw: pastel clothing, sodium-light casts, low
// light, blur and noise, and paved backgrounds of its own; `camera` 0 or 1.
Camera site_camera(uint64_t seed, int camera);
Identity site_identity(uint64_t seed);
cv::Mat site_background(int width, int height, uint64_t seed);

// Writes DIR/videos/cam-1.avi, cam-2.avi (unlabeled, for adapt), DIR/test/{query,
// bounding_box_test} (labeled crops of the test people, Market-1501 names: hat-eval run
// --dataset market1501 --root DIR/test), DIR/test-videos/cam-1.avi, cam-2.avi and their ground
// truth DIR/test-videos/cam-N.txt (MOTChallenge: frame, id, x, y, w, h, 1, -1, -1, -1; ids are the
// person's, shared by both cameras). hat::Error when a file cannot be written.
void write_synthetic_site(const SiteOptions& options, const std::string& dir, std::ostream& log);

}  // namespace hat
