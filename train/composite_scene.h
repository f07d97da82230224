// Composited test scenes: the project's synthetic people (train/synthetic_people) walking over the
// real background plate of a fixed camera, with exact ground truth. It is the detection and
// tracking test set that looks like a site: real background texture, lighting and compression,
// people at the perspective scale of a ground plane, entering and leaving at the edges and the
// far end, pausing, crossing and occluding each other (nearer people drawn last), casting soft
// foot shadows, under a slow illumination drift and sensor noise.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace hat {

// Person height in pixels against the image row of the feet: h = slope * (foot_y - horizon_y),
// a flat ground seen by a camera without roll.
struct GroundPlane {
  double horizon_y = -86;  // row where heights reach zero (above the image for a downward view)
  double slope = 0.2266;   // pixels of height per row below the horizon
  double height_at(double foot_y) const { return slope * (foot_y - horizon_y); }
};

struct CompositeOptions {
  int frames = 300;
  int people = 16;        // walkers over the whole sequence
  double fps = 10;        // frame rate (walking speeds are in metres per second)
  double near_row = 0.3;  // walkable ground starts this far down the image (share of its height)
  GroundPlane ground;     // for a 576-row image; scaled to the plate's height
  uint64_t seed = 0;
};

struct SceneObject {
  int id = 0;            // 1-based person
  cv::Rect box;          // in the frame (clipped), the whole person where not occluded
  double visible = 1.0;  // share of the person's own pixels no nearer person covers
};

struct CompositeFrame {
  cv::Mat image;                     // BGR
  std::vector<SceneObject> objects;  // people at least half in the frame, far first
};

// Renders the scene over `plate` (BGR). Frames are produced one by one through `sink`.
void render_composite(const cv::Mat& plate, const CompositeOptions& options,
                      const std::function<void(const CompositeFrame&)>& sink);

// Writes DIR/scene.avi (MJPEG at options.fps), DIR/gt.txt (MOTChallenge ground truth: frame
// (1-based), id, x, y, w, h, 1, 1, visibility) and DIR/plate.png, the plate the people walk on,
// cut from `video` (train/background_plate). hat::Error when a file cannot be read or written.
void write_composite_scene(const std::string& video, const CompositeOptions& options,
                           const std::string& dir, std::ostream& log);

}  // namespace hat
