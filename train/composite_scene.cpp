#include "train/composite_scene.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "base/error.h"
#include "base/file_io.h"
#include "train/background_plate.h"
#include "train/synthetic_people.h"

namespace hat {
namespace {

constexpr double kPersonMetres = 1.75;  // the height the ground plane's pixels stand for

// One person's walk: a foot point per frame from `enter` on, until they leave.
struct Walk {
  Identity identity;
  Camera camera;
  int enter = 0;
  std::vector<cv::Point2d> feet;
};

// A point where people come in or go out: the left or right edge, the bottom edge, or the far
// end of the walkable ground (where a real site has doorways, corners and the distance).
cv::Point2d portal(std::mt19937_64& rng, int kind, const cv::Size& size, double near_y,
                   const GroundPlane& ground) {
  std::uniform_real_distribution<double> u(0, 1);
  const double w = size.width, h = size.height;
  switch (kind) {
    case 0:
    case 1: {  // left, right: the whole person just outside
      const double y = near_y + u(rng) * (h - near_y);
      const double half = 0.3 * ground.height_at(y);
      return {kind == 0 ? -half : w + half, y};
    }
    case 2: {  // bottom: the feet below the frame, by more than half the height
      const double y = h + 0.6 * ground.height_at(h);
      return {0.15 * w + u(rng) * 0.7 * w, y};
    }
    default:  // far end
      return {0.1 * w + u(rng) * 0.8 * w, near_y + u(rng) * 0.05 * h};
  }
}

Walk plan_walk(std::mt19937_64& rng, const CompositeOptions& o, const GroundPlane& ground,
               const cv::Size& size, int index) {
  std::uniform_real_distribution<double> u(0, 1);
  const double near_y = o.near_row * size.height;
  Walk walk;
  walk.identity = make_identity(o.seed * 7919 + static_cast<uint64_t>(index) * 13 + 1);
  walk.camera = make_camera(o.seed * 31 + static_cast<uint64_t>(index));
  walk.camera.blur = 0.7;
  walk.camera.scale = 1.0;
  walk.enter = static_cast<int>(u(rng) * std::max(1, o.frames - 40));
  const int from = static_cast<int>(u(rng) * 4);
  int to = static_cast<int>(u(rng) * 4);
  if (to == from && from >= 2) to = (to + 1) % 4;  // left-to-left is a U-turn; others are not
  const cv::Point2d start = portal(rng, from, size, near_y, ground);
  const cv::Point2d end = portal(rng, to, size, near_y, ground);
  // Through a point of the middle ground, so that paths cross.
  const cv::Point2d middle(size.width * (0.2 + 0.6 * u(rng)),
                           near_y + (size.height - near_y) * (0.15 + 0.7 * u(rng)));
  const double speed = 1.0 + 0.6 * u(rng);  // m/s
  const int pause = u(rng) < 0.3 ? static_cast<int>(10 + u(rng) * 30) : 0;
  cv::Point2d p = start;
  walk.feet.push_back(p);
  for (const cv::Point2d& target : {middle, end}) {
    for (int guard = 0; guard < 10000; ++guard) {
      const cv::Point2d d = target - p;
      const double left = std::hypot(d.x, d.y);
      // A metre is height / 1.75 pixels here; the ground is foreshortened along the view.
      const double step = speed / o.fps * ground.height_at(std::max(p.y, near_y)) / kPersonMetres;
      const cv::Point2d unit = d / std::max(left, 1e-9);
      const double along = std::hypot(unit.x, unit.y / 0.6);
      if (left <= step / along) break;
      p += unit * (step / along);
      walk.feet.push_back(p);
    }
    if (target == middle)
      for (int i = 0; i < pause; ++i) walk.feet.push_back(p);
  }
  return walk;
}

// Soft, dark ellipse on the ground under the feet.
void cast_shadow(cv::Mat& scene, const cv::Point2d& foot, double height) {
  const cv::Size axes(std::max(2, static_cast<int>(0.28 * height)),
                      std::max(1, static_cast<int>(0.05 * height)));
  const cv::Rect area =
      cv::Rect(static_cast<int>(foot.x) - 2 * axes.width,
               static_cast<int>(foot.y) - 3 * axes.height, 4 * axes.width, 6 * axes.height) &
      cv::Rect(0, 0, scene.cols, scene.rows);
  if (area.empty()) return;
  cv::Mat mask = cv::Mat::zeros(area.size(), CV_32F);
  cv::ellipse(mask,
              cv::Point(static_cast<int>(foot.x + 0.08 * height) - area.x,
                        static_cast<int>(foot.y) - area.y),
              axes, 0, 0, 360, cv::Scalar(0.35), -1, cv::LINE_AA);
  cv::GaussianBlur(mask, mask, cv::Size(0, 0), std::max(1.0, 0.03 * height));
  cv::Mat keep;
  cv::merge(std::vector<cv::Mat>(3, 1.0 - mask), keep);
  cv::Mat region = scene(area);
  cv::multiply(region, keep, region);
}

}  // namespace

void render_composite(const cv::Mat& plate, const CompositeOptions& o,
                      const std::function<void(const CompositeFrame&)>& sink) {
  if (plate.empty() || plate.type() != CV_8UC3) throw Error("composite scene: no BGR plate");
  if (o.frames < 1 || o.people < 1) throw Error("composite scene: at least one frame and person");
  const cv::Size size = plate.size();
  // The ground plane is stated for 576 rows: scale it to the plate.
  GroundPlane ground = o.ground;
  ground.horizon_y *= size.height / 576.0;
  std::mt19937_64 rng(o.seed * 104729 + 11);
  std::vector<Walk> walks;
  for (int i = 0; i < o.people; ++i) walks.push_back(plan_walk(rng, o, ground, size, i));
  cv::Mat base;
  plate.convertTo(base, CV_32FC3);
  const cv::Rect frame_rect(0, 0, size.width, size.height);
  std::normal_distribution<double> flicker(0, 0.004);
  for (int f = 0; f < o.frames; ++f) {
    cv::Mat scene = base.clone();
    struct Placed {
      int id;
      cv::Point2d foot;
      double height;
    };
    std::vector<Placed> placed;
    for (size_t i = 0; i < walks.size(); ++i) {
      const int t = f - walks[i].enter;
      if (t < 0 || t >= static_cast<int>(walks[i].feet.size())) continue;
      const cv::Point2d foot = walks[i].feet[static_cast<size_t>(t)];
      placed.push_back({static_cast<int>(i) + 1, foot, ground.height_at(foot.y)});
    }
    std::sort(placed.begin(), placed.end(),
              [](const Placed& a, const Placed& b) { return a.foot.y < b.foot.y; });
    // Far first, so nearer people cover them; `owner` keeps who is seen at each pixel.
    cv::Mat owner = cv::Mat::zeros(size, CV_32S);
    CompositeFrame out;
    std::vector<int> own_pixels;
    for (const Placed& p : placed) {
      const Walk& walk = walks[static_cast<size_t>(p.id - 1)];
      const int h = std::max(8, static_cast<int>(std::lround(p.height))), w = std::max(4, h / 2);
      const cv::Rect where(static_cast<int>(std::lround(p.foot.x)) - w / 2,
                           static_cast<int>(std::lround(p.foot.y)) - h, w, h);
      const cv::Rect dst = where & frame_rect;
      if (dst.empty()) continue;
      cast_shadow(scene, p.foot, p.height);
      const PersonSprite sprite = render_person_sprite(
          walk.identity, walk.camera,
          o.seed * 1000003 + static_cast<uint64_t>(p.id) * 7919 + static_cast<uint64_t>(f),
          where.size());
      const cv::Rect src = dst - where.tl();
      composite_sprite(scene, sprite, where.tl());
      // The person's own pixels: the tight box and the visibility come from them.
      cv::Mat body = sprite.alpha > 0.5;
      const cv::Rect tight = cv::boundingRect(body) + where.tl();
      const cv::Rect seen = tight & frame_rect;
      owner(dst).setTo(p.id, body(src));
      if (tight.empty() || seen.area() * 2 < tight.area()) continue;
      out.objects.push_back({p.id, seen, 1.0});
      own_pixels.push_back(cv::countNonZero(body(src)));
    }
    for (size_t k = 0; k < out.objects.size(); ++k) {
      const cv::Mat mine = owner(out.objects[k].box) == out.objects[k].id;
      out.objects[k].visible =
          own_pixels[k] > 0 ? cv::countNonZero(mine) / static_cast<double>(own_pixels[k]) : 0.0;
    }
    // Daylight drifts slowly; the sensor adds noise.
    const double light = 1.0 + 0.06 * std::sin(2 * M_PI * f / (o.fps * 20)) + flicker(rng);
    scene *= light;
    cv::Mat noise(size, CV_32FC3);
    cv::RNG(o.seed * 7 + static_cast<uint64_t>(f)).fill(noise, cv::RNG::NORMAL, 0, 2.5);
    scene += noise;
    scene.convertTo(out.image, CV_8UC3);
    sink(out);
  }
}

void write_composite_scene(const std::string& video, const CompositeOptions& o,
                           const std::string& dir, std::ostream& log) {
  create_folders(dir);
  const cv::Mat plate = background_plate(video);
  if (!cv::imwrite(dir + "/plate.png", plate)) throw Error(dir + "/plate.png: cannot write");
  // Written under temporary names and renamed, so a failed run leaves no half scene.
  const std::string video_tmp = dir + "/scene.avi.tmp.avi", truth_tmp = dir + "/gt.txt.tmp";
  cv::VideoWriter writer(video_tmp, cv::CAP_FFMPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'),
                         o.fps, plate.size());
  if (!writer.isOpened()) throw Error(dir + "/scene.avi: cannot write the video");
  std::ofstream truth(truth_tmp);
  long boxes = 0;
  std::vector<bool> seen(static_cast<size_t>(o.people) + 1, false);
  int frame = 0;
  render_composite(plate, o, [&](const CompositeFrame& f) {
    writer.write(f.image);
    ++frame;
    for (const SceneObject& obj : f.objects) {
      truth << frame << "," << obj.id << "," << obj.box.x << "," << obj.box.y << ","
            << obj.box.width << "," << obj.box.height << ",1,1," << obj.visible << "\n";
      seen[static_cast<size_t>(obj.id)] = true;
      ++boxes;
    }
  });
  writer.release();
  truth.close();
  if (!truth) throw Error(dir + "/gt.txt: cannot write the ground truth");
  std::error_code ec;
  std::filesystem::rename(video_tmp, dir + "/scene.avi", ec);
  if (!ec) std::filesystem::rename(truth_tmp, dir + "/gt.txt", ec);
  if (ec) throw Error(dir + ": cannot rename the scene files (" + ec.message() + ")");
  log << "composite scene: " << o.frames << " frames of " << plate.cols << " x " << plate.rows
      << " at " << o.fps << " fps, " << std::count(seen.begin(), seen.end(), true) << " people, "
      << boxes << " ground-truth boxes -> " << dir << "/scene.avi, gt.txt\n";
}

}  // namespace hat
