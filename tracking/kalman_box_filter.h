// Constant-velocity Kalman filter over a box (centre, area, aspect ratio), as in SORT
// (Bewley et al., 2016): the tracker's motion model.
#pragma once

#include <opencv2/core.hpp>
#include <opencv2/video/tracking.hpp>

namespace hat::tracking {

class KalmanBoxFilter {
 public:
  explicit KalmanBoxFilter(const cv::Rect& box);
  cv::Rect predict();  // advances one frame; returns the predicted box
  void correct(const cv::Rect& box);
  cv::Rect box() const;  // current estimate

 private:
  cv::KalmanFilter kf_;
};

}  // namespace hat::tracking
