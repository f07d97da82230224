// Deterministic test images: a textured background, so that crops are not flat.
#pragma once

#include <opencv2/core.hpp>

namespace hat::test {

// BGR, values in [40, 200] blurred (the same image for the same arguments).
cv::Mat test_scene(int width, int height, int seed = 0);

}  // namespace hat::test
