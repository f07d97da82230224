// A frame's luma: what the HOG detector and other grey-level analyses work on.
#pragma once

#include <opencv2/core.hpp>

#include "frame/frame_view.h"

namespace hat {

// The luma (or grey) image of a frame: the Y plane itself (no copy) for I420, NV12 and GRAY8, a
// conversion otherwise.
cv::Mat frame_gray(const FrameView& frame);

}  // namespace hat
