#include "train/synthetic_site.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "base/error.h"
#include "base/file_io.h"

namespace hat {

std::vector<WalkFrame> render_walk(const std::vector<Walker>& walkers, Camera camera,
                                   const cv::Mat& scene, int frames, uint64_t seed) {
  const int width = scene.cols, height = scene.rows;
  camera.occlusion = 0;
  std::vector<WalkFrame> out;
  for (int f = 0; f < frames; ++f) {
    WalkFrame frame;
    frame.image = scene.clone();
    std::vector<std::pair<int, cv::Rect>> boxes;
    for (size_t p = 0; p < walkers.size(); ++p) {
      const auto& w = walkers[p];
      const int t = f - w.enter;
      if (t < 0) continue;
      const cv::Point2d pos = w.start + w.velocity * t;
      const cv::Rect box(static_cast<int>(pos.x), static_cast<int>(pos.y), w.height * 2 / 5,
                         w.height);
      if ((box & cv::Rect(0, 0, width, height)).area() < box.area() / 2) continue;
      boxes.emplace_back(static_cast<int>(p) + 1, box);
    }
    // Far (higher in the frame) first, so nearer people occlude them.
    std::sort(boxes.begin(), boxes.end(),
              [](const auto& a, const auto& b) { return a.second.br().y < b.second.br().y; });
    for (size_t i = 0; i < boxes.size(); ++i) {
      const auto& [id, box] = boxes[i];
      const cv::Mat person = render_person(walkers[static_cast<size_t>(id - 1)].identity, camera,
                                           seed + static_cast<uint64_t>(f * 31 + id), box.size());
      const cv::Rect dst = box & cv::Rect(0, 0, width, height);
      person(cv::Rect(dst.x - box.x, dst.y - box.y, dst.width, dst.height))
          .copyTo(frame.image(dst));
      cv::Mat covered = cv::Mat::zeros(box.size(), CV_8U);
      for (size_t j = i + 1; j < boxes.size(); ++j) {
        const cv::Rect o = (boxes[j].second & box) - box.tl();
        if (!o.empty()) covered(o).setTo(1);
      }
      frame.ids.push_back(id);
      frame.boxes.push_back(box);
      frame.visible.push_back(1.0 - cv::countNonZero(covered) / static_cast<double>(box.area()));
    }
    out.push_back(std::move(frame));
  }
  return out;
}

TwoCameraWalk two_camera_walk(int width, int height, int people, uint64_t identity_seed,
                              int transit_frames, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  TwoCameraWalk walk;
  for (int p = 0; p < people; ++p) {
    Walker w;
    w.identity = make_identity(identity_seed * 1000 + static_cast<uint64_t>(p));
    w.height = 100 + static_cast<int>(u(rng) * 30);
    const double speed = 7 + u(rng) * 3;
    w.start = cv::Point2d(-40.0, 40 + u(rng) * (height - 180));
    w.velocity = cv::Point2d(speed, (u(rng) - 0.5) * 1.0);
    w.enter = p * 8;
    walk.first.push_back(w);
    // Out of camera 1 once its box is half outside; into camera 2 after the transit.
    const int crossing = static_cast<int>((width + 40 + w.height * 0.2) / speed);
    Walker v = w;
    v.height = w.height - 10 + static_cast<int>(u(rng) * 20);  // another distance to the camera
    v.start = cv::Point2d(width, 40 + u(rng) * (height - 180));
    v.velocity = cv::Point2d(-speed, (u(rng) - 0.5) * 1.0);
    v.enter = w.enter + crossing + transit_frames;
    walk.second.push_back(v);
  }
  return walk;
}

namespace {

cv::Scalar pastel(const cv::Scalar& c) {
  const double grey = (c[0] + c[1] + c[2]) / 3;
  return c * 0.45 + cv::Scalar(grey, grey, grey) * 0.3 + cv::Scalar(70, 70, 70);
}

void write_video(const std::string& path, const std::vector<WalkFrame>& frames) {
  cv::VideoWriter writer(path, cv::CAP_FFMPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 25,
                         frames.front().image.size());
  if (!writer.isOpened()) throw Error(path + ": cannot write the video");
  for (const auto& f : frames) writer.write(f.image);
}

void write_truth(const std::string& path, const std::vector<WalkFrame>& frames) {
  std::ofstream out(path);
  for (size_t f = 0; f < frames.size(); ++f)
    for (size_t i = 0; i < frames[f].ids.size(); ++i) {
      const cv::Rect& b = frames[f].boxes[i];
      out << f + 1 << "," << frames[f].ids[i] << "," << b.x << "," << b.y << "," << b.width << ","
          << b.height << ",1,-1,-1,-1\n";
    }
  if (!out) throw Error(path + ": cannot write the ground truth");
}

}  // namespace

Camera site_camera(uint64_t seed, int camera) {
  Camera c = make_camera(seed * 977 + 7 + static_cast<uint64_t>(camera));
  // Sodium street light over the whole site (BGR gains), a little warmer and darker at camera 1.
  c.cast = camera == 0 ? cv::Scalar(0.7, 0.95, 1.3) : cv::Scalar(0.6, 0.9, 1.4);
  c.gain = camera == 0 ? 0.75 : 0.62;
  c.blur = 1.6;
  c.noise = 9;
  c.scale = 0.5;
  c.background_top = camera == 0 ? cv::Scalar(60, 70, 80) : cv::Scalar(90, 95, 100);
  c.background_bottom = camera == 0 ? cv::Scalar(50, 55, 60) : cv::Scalar(75, 80, 85);
  return c;
}

Identity site_identity(uint64_t seed) {
  Identity id = make_identity(seed);
  id.top = pastel(id.top);
  id.bottom = pastel(id.bottom);
  id.pattern_colour = pastel(id.pattern_colour);
  id.bag_colour = pastel(id.bag_colour);
  return id;
}

cv::Mat site_background(int width, int height, uint64_t seed) {
  // Paving: large tiles with joints, a gradient of light across the view, a little blur.
  cv::Mat scene(height, width, CV_8UC3);
  cv::RNG rng(seed * 13 + 5);
  const int tile = 24 + static_cast<int>(seed % 3) * 8;
  for (int y = 0; y < height; y += tile)
    for (int x = 0; x < width; x += tile) {
      const int v = 70 + rng.uniform(0, 50);
      cv::rectangle(scene, cv::Rect(x, y, tile, tile), cv::Scalar(v, v + 5, v + 10), -1);
      cv::rectangle(scene, cv::Rect(x, y, tile, tile), cv::Scalar(40, 40, 45), 1);
    }
  for (int x = 0; x < width; ++x) scene.col(x) *= 0.7 + 0.5 * x / width;
  cv::GaussianBlur(scene, scene, cv::Size(5, 5), 1.5);
  return scene;
}

void write_synthetic_site(const SiteOptions& o, const std::string& dir, std::ostream& log) {
  if (o.people < 2 || o.test_people < 2 || o.width < 160 || o.height < 200)
    throw Error("synthetic site: at least 2 people and 2 test people, 160 x 200 pixels or more");
  const cv::Mat scenes[2] = {site_background(o.width, o.height, o.seed),
                             site_background(o.width, o.height, o.seed + 1)};
  const Camera cameras[2] = {site_camera(o.seed, 0), site_camera(o.seed, 1)};
  // Adaptation videos (people 1..N) and test videos (other people) under the same cameras.
  auto render_pair = [&](int people, uint64_t identity_seed, uint64_t seed) {
    TwoCameraWalk walk =
        two_camera_walk(o.width, o.height, people, identity_seed, o.transit_frames, seed);
    for (size_t p = 0; p < walk.first.size(); ++p)  // one person, one look, in both cameras
      walk.first[p].identity = walk.second[p].identity = site_identity(identity_seed * 1000 + p);
    const int frames = people * 8 + 2 * (o.width + 80) / 7 + o.transit_frames;
    std::vector<std::vector<WalkFrame>> out;
    out.push_back(render_walk(walk.first, cameras[0], scenes[0], frames, seed));
    out.push_back(render_walk(walk.second, cameras[1], scenes[1], frames, seed + 5));
    return out;
  };
  create_folders(dir + "/videos");
  create_folders(dir + "/test-videos");
  const auto videos = render_pair(o.people, o.seed * 2 + 1, o.seed * 7 + 3);
  for (int c = 0; c < 2; ++c) {
    write_video(dir + "/videos/cam-" + std::to_string(c + 1) + ".avi", videos[c]);
    write_truth(dir + "/videos/cam-" + std::to_string(c + 1) + ".txt", videos[c]);
  }
  const auto test_videos = render_pair(o.test_people, o.seed * 2 + 2, o.seed * 7 + 4);
  create_folders(dir + "/test/query");
  create_folders(dir + "/test/bounding_box_test");
  int query = 0, gallery = 0;
  for (int c = 0; c < 2; ++c) {
    const auto& frames = test_videos[c];
    write_video(dir + "/test-videos/cam-" + std::to_string(c + 1) + ".avi", frames);
    write_truth(dir + "/test-videos/cam-" + std::to_string(c + 1) + ".txt", frames);
    // Labeled crops: whole, unoccluded views every 6th frame; each person's first two per camera
    // are queries, the rest the gallery.
    std::vector<int> seen(static_cast<size_t>(o.test_people) + 1, 0);
    const cv::Rect frame_rect(0, 0, o.width, o.height);
    for (size_t f = 0; f < frames.size(); f += 6)
      for (size_t i = 0; i < frames[f].ids.size(); ++i) {
        const cv::Rect& b = frames[f].boxes[i];
        if (frames[f].visible[i] < 0.9 || (b & frame_rect) != b) continue;
        const int id = frames[f].ids[i];
        const bool is_query = seen[static_cast<size_t>(id)]++ < 2;
        char name[64];
        std::snprintf(name, sizeof name, "%04d_c%ds1_%06zu_00.jpg", id, c + 1, f);
        const std::string path =
            dir + "/test/" + (is_query ? "query/" : "bounding_box_test/") + name;
        if (!cv::imwrite(path, frames[f].image(b))) throw Error(path + ": cannot write the crop");
        ++(is_query ? query : gallery);
      }
  }
  log << "synthetic site " << dir << ": videos/cam-1.avi, cam-2.avi (" << o.people << " people, "
      << videos[0].size() << " frames), test/ (" << o.test_people << " other people: " << query
      << " query, " << gallery << " gallery crops), test-videos/\n";
}

}  // namespace hat
