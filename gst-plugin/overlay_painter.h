// Drawing boxes and labels straight into a raw frame of any supported format (packed RGB
// variants, or the luma and chroma planes of I420/NV12), for hatoverlay.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "frame/frame_view.h"

namespace hat::gst {

struct OverlayItem {
  cv::Rect box;
  std::string label;  // empty: no label
  cv::Scalar rgb;     // box colour
};

// A stable, well-separated colour for an identity (golden-ratio hue steps); grey for key <= 0.
cv::Scalar identity_colour(int key);

// `frame` must point at writable (mapped read-write) memory.
void paint_overlay(const FrameView& frame, const std::vector<OverlayItem>& items, int line_width,
                   double font_scale);

}  // namespace hat::gst
