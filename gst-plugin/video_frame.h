// GStreamer raw video <-> the project's FrameView, so that every element crops and converts
// through model/preprocess (the one preprocessing).
#pragma once

#include <gst/video/video.h>

#include <optional>

#include <opencv2/core.hpp>

#include "model/preprocess.h"

namespace hat::gst {

// The raw formats every element accepts, as a caps string.
#define HAT_VIDEO_CAPS GST_VIDEO_CAPS_MAKE("{ RGB, BGR, RGBx, BGRx, I420, NV12 }")

std::optional<PixelFormat> to_pixel_format(GstVideoFormat format);

// A view of a mapped frame (no copy); the frame must stay mapped while the view is used.
FrameView frame_view(const GstVideoFrame& frame);

// The luma (or grey) image of a frame: the Y plane itself for I420/NV12, a conversion otherwise.
cv::Mat frame_gray(const FrameView& frame);

}  // namespace hat::gst
