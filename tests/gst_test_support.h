// Helpers of the GStreamer tests: GStreamer set up once, raw frames of any supported format made
// from a BGR image, and synthetic people's embeddings.
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <cstdint>
#include <string>
#include <vector>

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

// One person's embedding (a fixed random direction per `seed`, not normalised: hatmatch
// normalises) moved by `noise` times a random vector of `noise_seed`: the sightings of one person.
std::vector<float> person_embedding(uint64_t seed, int dim, double noise = 0,
                                    uint64_t noise_seed = 0);

}  // namespace hat::test
