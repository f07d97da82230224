#include "detection/ground_plane.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace hat::gst {
namespace {

// Least squares h = a * y + b over `points`; false when the rows do not spread.
bool line_fit(const std::vector<cv::Point2d>& points, double& a, double& b) {
  const double n = static_cast<double>(points.size());
  double sy = 0, sh = 0, syy = 0, syh = 0;
  for (const auto& p : points) {
    sy += p.x;
    sh += p.y;
    syy += p.x * p.x;
    syh += p.x * p.y;
  }
  const double det = n * syy - sy * sy;
  if (n < 2 || det <= 1e-9 * n * n) return false;
  a = (n * syh - sy * sh) / det;
  b = (sh - a * sy) / n;
  return true;
}

}  // namespace

void GroundPlane::add_sample(const cv::Rect& person) {
  samples_.emplace_back(person.y + person.height, person.height);
  if (samples_.size() > static_cast<size_t>(options_.max_samples)) samples_.pop_front();
  // Refit as samples arrive, less often as they pile up.
  if (samples_.size() >= static_cast<size_t>(options_.min_samples) &&
      ++since_fit_ >= std::max<size_t>(10, samples_.size() / 10)) {
    since_fit_ = 0;
    fit();
  }
}

void GroundPlane::fit() {
  std::vector<cv::Point2d> points(samples_.begin(), samples_.end());
  // Start from a line through the median height of each band of rows, which groups and
  // fragments barely move, then refit on the samples near the line.
  double lo = points.front().x, hi = lo;
  for (const auto& p : points) lo = std::min(lo, p.x), hi = std::max(hi, p.x);
  constexpr int kBands = 8;
  std::vector<std::vector<double>> bands(kBands);
  for (const auto& p : points) {
    const int k = std::min(kBands - 1, static_cast<int>((p.x - lo) / (hi - lo + 1e-9) * kBands));
    bands[static_cast<size_t>(k)].push_back(p.y);
  }
  std::vector<cv::Point2d> medians;
  for (int k = 0; k < kBands; ++k) {
    auto& band = bands[static_cast<size_t>(k)];
    if (band.size() < 3) continue;
    std::nth_element(band.begin(), band.begin() + static_cast<long>(band.size() / 2), band.end());
    medians.emplace_back(lo + (k + 0.5) * (hi - lo) / kBands, band[band.size() / 2]);
  }
  double a = 0, b = 0;
  if (medians.size() < 2 || !line_fit(medians, a, b)) return;
  for (int round = 0; round < 3; ++round) {
    std::vector<cv::Point2d> inliers;
    for (const auto& p : points) {
      const double h = a * p.x + b;
      if (h > 0 && std::abs(p.y - h) <= options_.tolerance * h) inliers.push_back(p);
    }
    if (inliers.size() < points.size() * options_.min_inlier_share) return;
    if (!line_fit(inliers, a, b)) return;
  }
  // People far away are not taller than near ones: a rising line is a bad fit.
  if (a < 0) return;
  slope_ = a;
  offset_ = b;
  fitted_ = true;
}

std::optional<double> GroundPlane::expected_height(double foot_y) const {
  if (!fitted_) return std::nullopt;
  const double h = slope_ * foot_y + offset_;
  if (h < 4) return std::nullopt;
  return h;
}

}  // namespace hat::gst
