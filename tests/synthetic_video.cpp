#include "tests/synthetic_video.h"

#include <algorithm>
#include <random>

#include <opencv2/imgproc.hpp>

#include "tests/test_scene.h"
#include "train/synthetic_people.h"

namespace hat::test {

namespace {

struct Walker {
  Identity identity;
  cv::Point2d start, velocity;
  int height = 100;
  int enter = 0;  // first frame
};

// `walkers` on `scene` seen by `camera`: nearer people (lower in the frame) occlude the others.
SyntheticVideo render(const std::vector<Walker>& walkers, Camera camera, const cv::Mat& scene,
                      int frames, uint64_t seed) {
  const int width = scene.cols, height = scene.rows;
  camera.occlusion = 0;  // occlusion comes from the people themselves
  SyntheticVideo video;
  for (int f = 0; f < frames; ++f) {
    cv::Mat frame = scene.clone();
    std::vector<TrackedBox> boxes;
    for (size_t p = 0; p < walkers.size(); ++p) {
      const auto& w = walkers[p];
      const int t = f - w.enter;
      if (t < 0) continue;
      const cv::Point2d pos = w.start + w.velocity * t;
      const cv::Rect box(static_cast<int>(pos.x), static_cast<int>(pos.y), w.height * 2 / 5,
                         w.height);
      const cv::Rect visible = box & cv::Rect(0, 0, width, height);
      if (visible.area() < box.area() / 2) continue;  // mostly outside the frame
      boxes.push_back({static_cast<int>(p) + 1, box});
    }
    // Far (higher in the frame) first, so nearer people occlude them.
    std::sort(boxes.begin(), boxes.end(),
              [](const auto& a, const auto& b) { return a.box.br().y < b.box.br().y; });
    std::vector<double> vis;
    for (size_t i = 0; i < boxes.size(); ++i) {
      const auto& b = boxes[i];
      const cv::Mat person =
          render_person(walkers[static_cast<size_t>(b.id - 1)].identity, camera,
                        seed + static_cast<uint64_t>(f * 31 + b.id), b.box.size());
      const cv::Rect dst = b.box & cv::Rect(0, 0, width, height);
      person(cv::Rect(dst.x - b.box.x, dst.y - b.box.y, dst.width, dst.height)).copyTo(frame(dst));
      cv::Mat covered = cv::Mat::zeros(b.box.size(), CV_8U);
      for (size_t j = i + 1; j < boxes.size(); ++j) {
        const cv::Rect o = (boxes[j].box & b.box) - b.box.tl();
        if (!o.empty()) covered(o).setTo(1);
      }
      vis.push_back(1.0 - cv::countNonZero(covered) / static_cast<double>(b.box.area()));
    }
    video.frames.push_back(frame);
    video.truth.push_back(boxes);
    video.visibility.push_back(vis);
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
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Walker> first, second;
  for (int p = 0; p < people; ++p) {
    Walker w;
    w.identity = make_identity(seed * 1000 + static_cast<uint64_t>(p));
    w.height = 100 + static_cast<int>(u(rng) * 30);
    const double speed = 7 + u(rng) * 3;
    w.start = cv::Point2d(-40.0, 40 + u(rng) * (height - 180));
    w.velocity = cv::Point2d(speed, (u(rng) - 0.5) * 1.0);
    w.enter = p * 8;
    first.push_back(w);
    // Out of camera 1 once its box is half outside; into camera 2 after the transit.
    const int crossing = static_cast<int>((width + 40 + w.height * 0.2) / speed);
    Walker v = w;
    v.height = w.height - 10 + static_cast<int>(u(rng) * 20);  // another distance to the camera
    v.start = cv::Point2d(width, 40 + u(rng) * (height - 180));
    v.velocity = cv::Point2d(-speed, (u(rng) - 0.5) * 1.0);
    v.enter = w.enter + crossing + transit_frames;
    second.push_back(v);
  }
  std::vector<SyntheticVideo> out;
  out.push_back(render(first, make_camera(seed + 11),
                       test_scene(width, height, static_cast<int>(seed)), frames, seed));
  out.push_back(render(second, make_camera(seed + 23),
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
