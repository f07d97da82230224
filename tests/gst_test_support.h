// Helpers of the GStreamer tests: GStreamer set up once, and raw frames of any supported format
// made from a BGR image.
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <string>

#include <opencv2/core.hpp>

namespace hat::test {

void init_gstreamer();

// The formats every element accepts.
inline const char* const kVideoFormats[] = {"RGB", "BGR", "RGBx", "BGRx", "I420", "NV12"};

std::string video_caps(const std::string& format, int width, int height, int fps = 10);

// `bgr` converted into a buffer of `format` laid out as GStreamer lays it out (strides, planes).
GstBuffer* make_frame(const cv::Mat& bgr, const std::string& format, GstClockTime pts = 0,
                      GstClockTime duration = GST_SECOND / 10);

// The buffer's frame back as BGR.
cv::Mat frame_to_bgr(GstBuffer* buffer, const std::string& format, int width, int height);

}  // namespace hat::test
