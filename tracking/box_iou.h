// Intersection over union of two boxes: the overlap measure of the tracker's association and of
// the MOT metrics' matching.
#pragma once

#include <opencv2/core.hpp>

namespace hat::tracking {

// In [0, 1]; 0 when the boxes do not overlap or both are empty.
double box_iou(const cv::Rect& a, const cv::Rect& b);
// The same for sub-pixel boxes (the site detector's training targets, in network-input pixels).
double subpixel_box_iou(const cv::Rect2f& a, const cv::Rect2f& b);

}  // namespace hat::tracking
