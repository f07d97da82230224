// The ground-plane prior of a fixed camera: how tall a standing person appears as a function of
// the image row of their feet. For a flat ground seen by a camera without roll that is a straight
// line, h = slope * foot_y + offset. It is learned from the video itself: the background detector
// feeds it the boxes of isolated, well-shaped people, and a robust least-squares fit (refitted on
// the samples near the line) ignores the blobs of groups, fragments and parts.
#pragma once

#include <deque>
#include <optional>

#include <opencv2/core.hpp>

namespace hat::gst {

struct GroundPlaneOptions {
  int min_samples = 60;           // before the first fit
  int max_samples = 3000;         // the most recent are kept
  double tolerance = 0.3;         // inliers: |h - h_fit| <= tolerance * h_fit
  double min_inlier_share = 0.5;  // a fit explaining fewer samples is not trusted
};

class GroundPlane {
 public:
  explicit GroundPlane(const GroundPlaneOptions& options = {}) : options_(options) {}

  // A person box seen whole (feet at its bottom edge, head at its top).
  void add_sample(const cv::Rect& person);

  // The expected height for feet at `foot_y`, once fitted; nullopt before, or where the line
  // gives less than 4 pixels (above the horizon).
  std::optional<double> expected_height(double foot_y) const;

  bool fitted() const { return fitted_; }
  double slope() const { return slope_; }
  double offset() const { return offset_; }
  size_t samples() const { return samples_.size(); }

 private:
  void fit();

  GroundPlaneOptions options_;
  std::deque<cv::Point2d> samples_;  // (foot row, height)
  size_t since_fit_ = 0;
  bool fitted_ = false;
  double slope_ = 0, offset_ = 0;
};

}  // namespace hat::gst
