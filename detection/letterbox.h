// The detector's input preprocessing, shared by the ONNX detector at run time and by
// `hat-train detector` when it makes training images, so that a trained detector sees at run
// time exactly the pixels it learned from: the RGB frame scaled by one factor to fit the
// network input, at its top-left corner, the rest filled with grey 114 (YOLO's letterbox
// colour). The network then takes the pixels divided by 255.
#pragma once

#include <opencv2/core.hpp>

namespace hat::gst {

struct Letterboxed {
  cv::Mat image;       // CV_8UC3, `input` in size, same channel order as the source
  double scale = 1.0;  // network-input pixels per source pixel
  cv::Size content;    // the part of `image` the source covers, from its top-left corner
};

// `source`: an 8-bit, 3-channel image; `input`: the network's input size (positive).
Letterboxed letterbox(const cv::Mat& source, cv::Size input);

}  // namespace hat::gst
