// Procedural people seen by procedural cameras: the training and test data of this project where
// no real dataset can be downloaded. An identity fixes body shape, clothing colours and textures
// and a bag; a camera fixes background, scale, illumination, colour cast, blur, noise and how
// often it is occluded; each image adds a walking pose, a facing direction and small jitter.
// The varied look (vary_camera) adds what real crops have and the classic look lacks: side light,
// saturation, motion blur, compression, detector-like framing, people beside the person, more
// kinds of occluders and real backgrounds cut from a site's own video.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <opencv2/core.hpp>

namespace hat {

struct Identity {
  double height = 1.0, width = 1.0;  // body proportions
  cv::Scalar skin, hair, top, bottom, shoes, bag_colour, pattern_colour;
  int top_pattern = 0;   // 0 plain, 1 horizontal stripes, 2 vertical stripes, 3 checks
  int bottom_style = 0;  // 0 trousers, 1 shorts, 2 skirt
  int bag = 0;           // 0 none, 1 backpack, 2 shoulder bag
  bool long_hair = false;
};

struct Camera {
  cv::Scalar background_top, background_bottom, cast;
  double gain = 1.0, blur = 0.0, noise = 0.0, scale = 1.0, occlusion = 0.0;
  int texture_seed = 0;
  // The varied look; these defaults render the classic look, image for image.
  double light = 0.0;             // strength of a directional light across the crop, 0..1
  double saturation = 1.0;        // colour saturation factor
  double motion_blur = 0.0;       // horizontal motion blur, share of the crop's width
  int jpeg_quality = 0;           // compression of the camera's stream (0: none)
  double box_jitter = 0.0;        // detector-like misframing: shift and scale, share of the box
  double neighbour = 0.0;         // probability that another person stands partly in the crop
  bool varied_occluders = false;  // poles and scene patches besides the classic bars
  // Real backgrounds (BGR): when given, each crop's background is a patch of one of them.
  std::shared_ptr<const std::vector<cv::Mat>> backdrops;
};

Identity make_identity(uint64_t seed);
Camera make_camera(uint64_t seed);
// `camera` with the varied look's settings drawn from `seed`, and `backdrops` (may be null) as its
// backgrounds. Casts and light widen to the range of real cameras; identities are unchanged.
Camera vary_camera(Camera camera, uint64_t seed,
                   std::shared_ptr<const std::vector<cv::Mat>> backdrops);

// One BGR crop of `identity` seen by `camera`, `size` (width x height) pixels. `seed` draws the
// pose and the image's own variation.
cv::Mat render_person(const Identity& identity, const Camera& camera, uint64_t seed, cv::Size size);

// The same person as a layer to composite over any scene: `colour` (CV_32FC3, BGR 0..255) is
// premultiplied by `alpha` (CV_32F, 0 outside the person, 1 inside, between at the edges). The
// camera's blur and resolution apply; its background, clutter, occluders, light, cast and noise do
// not (the scene they are composited into brings its own).
struct PersonSprite {
  cv::Mat colour, alpha;
};
PersonSprite render_person_sprite(const Identity& identity, const Camera& camera, uint64_t seed,
                                  cv::Size size);

// Draws `sprite` over `scene` (CV_32FC3) with its top-left corner at `at`; the parts outside the
// scene are left out.
void composite_sprite(cv::Mat& scene, const PersonSprite& sprite, cv::Point at);

}  // namespace hat
