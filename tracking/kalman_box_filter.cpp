#include "tracking/kalman_box_filter.h"

#include <cmath>

namespace hat::tracking {
namespace {

// State: cx, cy, area, aspect (w/h), and the velocities of the first three (aspect is constant).
cv::Mat measurement(const cv::Rect& b) {
  const float w = static_cast<float>(b.width), h = static_cast<float>(std::max(b.height, 1));
  return (cv::Mat_<float>(4, 1) << b.x + w / 2.f, b.y + h / 2.f, w * h, w / h);
}

cv::Rect to_box(const cv::Mat& state) {
  const float area = std::max(state.at<float>(2), 1.f),
              aspect = std::max(state.at<float>(3), 1e-3f);
  const float w = std::sqrt(area * aspect), h = area / w;
  return cv::Rect(static_cast<int>(std::lround(state.at<float>(0) - w / 2)),
                  static_cast<int>(std::lround(state.at<float>(1) - h / 2)),
                  static_cast<int>(std::lround(w)), static_cast<int>(std::lround(h)));
}

}  // namespace

KalmanBoxFilter::KalmanBoxFilter(const cv::Rect& box) : kf_(7, 4, 0, CV_32F) {
  cv::setIdentity(kf_.transitionMatrix);
  for (int i = 0; i < 3; ++i) kf_.transitionMatrix.at<float>(i, i + 4) = 1.f;
  kf_.measurementMatrix = cv::Mat::zeros(4, 7, CV_32F);
  for (int i = 0; i < 4; ++i) kf_.measurementMatrix.at<float>(i, i) = 1.f;
  // Noise levels of SORT: scale and aspect measurements are less certain than the centre, and
  // the unobserved velocities start very uncertain.
  cv::setIdentity(kf_.measurementNoiseCov, cv::Scalar(1.f));
  kf_.measurementNoiseCov.at<float>(2, 2) = kf_.measurementNoiseCov.at<float>(3, 3) = 10.f;
  cv::setIdentity(kf_.errorCovPost, cv::Scalar(10.f));
  for (int i = 4; i < 7; ++i) kf_.errorCovPost.at<float>(i, i) = 1e4f;
  cv::setIdentity(kf_.processNoiseCov, cv::Scalar(1.f));
  kf_.processNoiseCov.at<float>(6, 6) = 1e-2f;
  for (int i = 4; i < 6; ++i) kf_.processNoiseCov.at<float>(i, i) = 1e-2f;
  kf_.statePost = cv::Mat::zeros(7, 1, CV_32F);
  measurement(box).copyTo(kf_.statePost.rowRange(0, 4));
}

cv::Rect KalmanBoxFilter::predict() {
  // A shrinking box must not reach a negative area.
  if (kf_.statePost.at<float>(2) + kf_.statePost.at<float>(6) <= 0) kf_.statePost.at<float>(6) = 0;
  return to_box(kf_.predict());
}

void KalmanBoxFilter::correct(const cv::Rect& box) { kf_.correct(measurement(box)); }

cv::Rect KalmanBoxFilter::box() const { return to_box(kf_.statePost); }

}  // namespace hat::tracking
