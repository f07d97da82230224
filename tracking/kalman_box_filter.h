// Constant-velocity Kalman filter over a box: centre, aspect ratio (w/h) and height, with their
// velocities. The noise is proportional to the box height, as in DeepSORT and ByteTrack, so a
// person far from the camera (small) and one near it (large) are equally certain in relative
// terms. It models a static camera: all motion is the person's, so the process noise is that
// of walking people, not of a panning view.
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
  float height() const;
  cv::KalmanFilter kf_;
};

}  // namespace hat::tracking
