// The background plate of a fixed camera: the per-pixel temporal median of frames sampled evenly
// through its video, which removes people who walk by (anyone standing still for more than half
// the samples stays in it). The composited test scenes and the detector's training use it.
#pragma once

#include <string>

#include <opencv2/core.hpp>

namespace hat {

// The median of `samples` frames (BGR, the video's size) spread over the whole of `video`.
// hat::Error names the file when it cannot be read or holds fewer than 3 frames.
cv::Mat background_plate(const std::string& video, int samples = 60);

}  // namespace hat
