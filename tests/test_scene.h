// Deterministic test images: a textured background, so that crops are not flat, and smooth
// random pictures.
#pragma once

#include <opencv2/core.hpp>

namespace hat::test {

// BGR, values in [40, 200] blurred (the same image for the same arguments).
cv::Mat test_scene(int width, int height, int seed = 0);

// Uniform random BGR smoothed like a real image, so that chroma subsampling is mild (the same
// image for the same seed).
cv::Mat random_bgr(int rows, int cols, int seed);

}  // namespace hat::test
