// Steps 1-2 of THE preprocessing (crop -> RGB), which need pixels but no tensors: the box a crop
// covers and that region as packed 8-bit RGB. inference/preprocess turns the result into the
// model's input; the overlay and the detectors use the same box rules.
#pragma once

#include <opencv2/core.hpp>

#include "frame/frame_view.h"

namespace hat {

// The box clipped to the frame; empty when nothing of it lies inside.
cv::Rect clip_box(const cv::Rect& box, int width, int height);

// The pixels a box crops: clipped to the frame and, for I420/NV12, widened to even coordinates so
// that chroma stays aligned. hat::Error for an empty frame, an empty or off-frame box, or a
// subsampled box smaller than one 2x2 chroma block. Both the CPU and the GPU path crop exactly
// this region.
cv::Rect crop_region(const FrameView& frame, const cv::Rect& box);

// The box's crop_region as a packed 8-bit RGB image (a copy); hat::Error as crop_region.
cv::Mat crop_to_rgb(const FrameView& frame, const cv::Rect& box);

}  // namespace hat
