#include "tests/test_scene.h"

#include <opencv2/imgproc.hpp>

namespace hat::test {

cv::Mat test_scene(int width, int height, int seed) {
  cv::Mat scene(height, width, CV_8UC3);
  cv::RNG rng(static_cast<uint64_t>(seed) + 1);
  rng.fill(scene, cv::RNG::UNIFORM, cv::Scalar(40, 40, 40), cv::Scalar(200, 200, 200));
  cv::GaussianBlur(scene, scene, cv::Size(9, 9), 3);
  return scene;
}

}  // namespace hat::test
