#include "tracking/kalman_box_filter.h"

#include <algorithm>
#include <cmath>

namespace hat::tracking {
namespace {

// Standard deviations per unit of box height (ByteTrack's values): position measurement and
// process noise 1/20 of the height, velocity process noise 1/160 of it per frame.
constexpr float kPosition = 1.f / 20.f;
constexpr float kVelocity = 1.f / 160.f;
constexpr float kAspect = 1e-2f, kAspectVelocity = 1e-5f;

// State: cx, cy, aspect (w/h), h, and their velocities.
cv::Mat measurement(const cv::Rect& b) {
  const float w = static_cast<float>(b.width), h = static_cast<float>(std::max(b.height, 1));
  return (cv::Mat_<float>(4, 1) << b.x + w / 2.f, b.y + h / 2.f, w / h, h);
}

cv::Rect to_box(const cv::Mat& state) {
  const float h = std::max(state.at<float>(3), 1.f);
  const float w = std::max(state.at<float>(2), 1e-3f) * h;
  return cv::Rect(static_cast<int>(std::lround(state.at<float>(0) - w / 2)),
                  static_cast<int>(std::lround(state.at<float>(1) - h / 2)),
                  static_cast<int>(std::lround(w)), static_cast<int>(std::lround(h)));
}

}  // namespace

KalmanBoxFilter::KalmanBoxFilter(const cv::Rect& box) : kf_(8, 4, 0, CV_32F) {
  cv::setIdentity(kf_.transitionMatrix);
  for (int i = 0; i < 4; ++i) kf_.transitionMatrix.at<float>(i, i + 4) = 1.f;
  kf_.measurementMatrix = cv::Mat::zeros(4, 8, CV_32F);
  for (int i = 0; i < 4; ++i) kf_.measurementMatrix.at<float>(i, i) = 1.f;
  kf_.statePost = cv::Mat::zeros(8, 1, CV_32F);
  measurement(box).copyTo(kf_.statePost.rowRange(0, 4));
  // The first box is as certain as any measurement; its velocity is unknown (10x the walking
  // noise per frame).
  const float h = height();
  const float std[8] = {2 * kPosition * h, 2 * kPosition * h,  kAspect,
                        2 * kPosition * h, 10 * kVelocity * h, 10 * kVelocity * h,
                        kAspectVelocity,   10 * kVelocity * h};
  kf_.errorCovPost = cv::Mat::zeros(8, 8, CV_32F);
  for (int i = 0; i < 8; ++i) kf_.errorCovPost.at<float>(i, i) = std[i] * std[i];
}

float KalmanBoxFilter::height() const { return std::max(kf_.statePost.at<float>(3), 1.f); }

cv::Rect KalmanBoxFilter::predict() {
  const float h = height();
  const float std[8] = {kPosition * h, kPosition * h, kAspect,         kPosition * h,
                        kVelocity * h, kVelocity * h, kAspectVelocity, kVelocity * h};
  kf_.processNoiseCov = cv::Mat::zeros(8, 8, CV_32F);
  for (int i = 0; i < 8; ++i) kf_.processNoiseCov.at<float>(i, i) = std[i] * std[i];
  // A shrinking box must not reach a non-positive height.
  if (kf_.statePost.at<float>(3) + kf_.statePost.at<float>(7) < 1.f) kf_.statePost.at<float>(7) = 0;
  return to_box(kf_.predict());
}

void KalmanBoxFilter::correct(const cv::Rect& box) {
  const float h = height();
  const float std[4] = {kPosition * h, kPosition * h, kAspect * 10, kPosition * h};
  kf_.measurementNoiseCov = cv::Mat::zeros(4, 4, CV_32F);
  for (int i = 0; i < 4; ++i) kf_.measurementNoiseCov.at<float>(i, i) = std[i] * std[i];
  kf_.correct(measurement(box));
}

cv::Rect KalmanBoxFilter::box() const { return to_box(kf_.statePost); }

}  // namespace hat::tracking
