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

cv::Mat random_bgr(int rows, int cols, int seed) {
  cv::Mat m(rows, cols, CV_8UC3);
  cv::theRNG().state = seed;
  cv::randu(m, 0, 256);
  cv::GaussianBlur(m, m, cv::Size(5, 5), 2.0);
  return m;
}

}  // namespace hat::test
