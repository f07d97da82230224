// Procedural people seen by procedural cameras: the training and test data of this project where
// no real dataset can be downloaded. An identity fixes body shape, clothing colours and textures
// and a bag; a camera fixes background, scale, illumination, colour cast, blur, noise and how
// often it is occluded; each image adds a walking pose, a facing direction and small jitter.
#pragma once

#include <cstdint>

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
};

Identity make_identity(uint64_t seed);
Camera make_camera(uint64_t seed);

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

}  // namespace hat
