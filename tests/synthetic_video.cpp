#include "tests/synthetic_video.h"

#include <algorithm>
#include <random>

#include <opencv2/imgproc.hpp>

#include "tests/test_scene.h"
#include "train/synthetic_site.h"

namespace hat::test {

namespace {

SyntheticVideo render(const std::vector<Walker>& walkers, const Camera& camera,
                      const cv::Mat& scene, int frames, uint64_t seed) {
  SyntheticVideo video;
  for (auto& f : render_walk(walkers, camera, scene, frames, seed)) {
    std::vector<TrackedBox> boxes;
    for (size_t i = 0; i < f.ids.size(); ++i) boxes.push_back({f.ids[i], f.boxes[i]});
    video.frames.push_back(f.image);
    video.truth.push_back(boxes);
    video.visibility.push_back(f.visible);
  }
  return video;
}

}  // namespace

SyntheticVideo render_walkers(int width, int height, int frames, int people, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Walker> walkers;
  for (int p = 0; p < people; ++p) {
    Walker w;
    w.identity = make_identity(seed * 1000 + static_cast<uint64_t>(p));
    w.height = 90 + static_cast<int>(u(rng) * 40);
    const bool rightwards = p % 2 == 0;
    // Alternate directions on overlapping rows so that paths cross.
    w.start = cv::Point2d(rightwards ? -40.0 : width, 60 + u(rng) * (height - 200));
    w.velocity = cv::Point2d((rightwards ? 1 : -1) * (4 + u(rng) * 4), (u(rng) - 0.5) * 1.5);
    w.enter = static_cast<int>(u(rng) * frames / 3);
    walkers.push_back(w);
  }
  return render(walkers, make_camera(seed), test_scene(width, height, static_cast<int>(seed)),
                frames, seed);
}

std::vector<SyntheticVideo> render_two_cameras(int width, int height, int frames, int people,
                                               int transit_frames, uint64_t seed) {
  const TwoCameraWalk walk = two_camera_walk(width, height, people, seed, transit_frames, seed);
  std::vector<SyntheticVideo> out;
  out.push_back(render(walk.first, make_camera(seed + 11),
                       test_scene(width, height, static_cast<int>(seed)), frames, seed));
  out.push_back(render(walk.second, make_camera(seed + 23),
                       test_scene(width, height, static_cast<int>(seed) + 101), frames, seed + 5));
  return out;
}

TrackSequence simulated_detections(const SyntheticVideo& video, double miss_rate, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::uniform_int_distribution<int> jitter(-2, 2);
  TrackSequence out(video.frames.size());
  for (size_t f = 0; f < video.frames.size(); ++f) {
    for (size_t i = 0; i < video.truth[f].size(); ++i) {
      if (video.visibility[f][i] < 0.5 || u(rng) < miss_rate) continue;
      cv::Rect b = video.truth[f][i].box;
      b.x += jitter(rng);
      b.y += jitter(rng);
      b.width += jitter(rng);
      b.height += jitter(rng);
      out[f].push_back({0, b});
    }
  }
  return out;
}

}  // namespace hat::test
