// Image files as the project reads them: decoded by OpenCV, returned as packed 8-bit RGB.
#pragma once

#include <string>

#include <opencv2/core.hpp>

namespace hat {

// Reads an image file as RGB (grey images expanded to three channels). hat::Error names a
// missing, unreadable, undecodable or empty image; OpenCV's own warning is silenced so that the
// error is the one line.
cv::Mat read_rgb_image(const std::string& path);

}  // namespace hat
