// Small JPEG pictures of people: the gallery's thumbnails of sightings and enrolled images, which
// the HTTP service and its web page show.
#pragma once

#include <string>

#include <opencv2/core.hpp>

#include "frame/frame_view.h"

namespace hat {

// An RGB image scaled to `height` pixels high (aspect kept; never enlarged) as a JPEG.
// hat::Error for an empty image.
std::string jpeg_thumbnail(const cv::Mat& rgb, int height, int quality = 80);

// The box's crop (crop_to_rgb, the one crop rule) as a thumbnail; hat::Error as crop_to_rgb.
std::string jpeg_thumbnail(const FrameView& frame, const cv::Rect& box, int height,
                           int quality = 80);

}  // namespace hat
