// GStreamer raw video <-> the project's FrameView, so that every element crops and converts
// through frame/ and inference/preprocess (the one preprocessing).
#pragma once

#include <gst/video/video.h>

#include <optional>

#include <opencv2/core.hpp>

#include "frame/frame_view.h"

namespace hat::gst {

// The raw formats every element accepts, as a caps string.
#define HAT_VIDEO_CAPS GST_VIDEO_CAPS_MAKE("{ RGB, BGR, RGBx, BGRx, I420, NV12 }")

std::optional<PixelFormat> to_pixel_format(GstVideoFormat format);

// A view of a mapped frame (no copy); the frame must stay mapped while the view is used.
FrameView frame_view(const GstVideoFrame& frame);

}  // namespace hat::gst
