#include "tracking/sort_tracker.h"

#include <cmath>

#include "tracking/box_iou.h"
#include "tracking/linear_assignment.h"

namespace hat::tracking {
namespace {

constexpr double kForbidden = 1e9;
constexpr float kAppearanceMomentum = 0.8f;  // weight of the history in the running appearance

std::vector<float> normalised(const std::vector<float>& v) {
  double n = 0;
  for (float x : v) n += static_cast<double>(x) * x;
  n = std::sqrt(n);
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = n > 0 ? static_cast<float>(v[i] / n) : 0.f;
  return out;
}

double cosine_distance(const std::vector<float>& unit_a, const std::vector<float>& unit_b) {
  if (unit_a.size() != unit_b.size()) return 1.0;
  double dot = 0;
  for (size_t i = 0; i < unit_a.size(); ++i) dot += static_cast<double>(unit_a[i]) * unit_b[i];
  return 1.0 - dot;
}

}  // namespace

SortTracker::SortTracker(const TrackerOptions& options) : options_(options) {}

void SortTracker::reset() {
  tracks_.clear();
  next_id_ = 1;
}

double SortTracker::cost(const Track& track, const cv::Rect& box,
                         const std::vector<float>& unit_embedding) const {
  const double iou = box_iou(track.predicted, box);
  if (track.appearance.empty() || unit_embedding.empty())
    return iou >= options_.iou_threshold ? 1.0 - iou : kForbidden;
  const double cos = cosine_distance(track.appearance, unit_embedding);
  // Appearance may rescue a match that motion alone misses (a turn, an occlusion), but only
  // near the prediction: within one box height of its centre.
  const cv::Point2d c1 = (track.predicted.tl() + track.predicted.br()) * 0.5;
  const cv::Point2d c2 = (box.tl() + box.br()) * 0.5;
  const bool near = std::hypot(c1.x - c2.x, c1.y - c2.y) <= std::max(track.predicted.height, 1);
  const bool allowed = (iou >= options_.iou_threshold && cos <= 2 * options_.max_cosine_distance) ||
                       (near && cos <= options_.max_cosine_distance);
  if (!allowed) return kForbidden;
  const double w = options_.appearance_weight;
  return (1.0 - w) * (1.0 - iou) + w * cos;
}

std::vector<TrackerOutput> SortTracker::update(const std::vector<TrackerDetection>& detections,
                                               bool detector_ran) {
  for (auto& t : tracks_) {
    t.predicted = t.filter.predict();
    ++t.age;
    ++t.since_update;
  }
  std::vector<TrackerOutput> out;
  if (!detector_ran) {
    for (const auto& t : tracks_)
      if (t.id > 0 && t.since_update <= options_.max_age)
        out.push_back({-1, t.id, t.predicted, t.age});
    return out;
  }

  // Each detection's embedding is normalised once, not once per track it is compared with.
  std::vector<std::vector<float>> units;
  for (const auto& d : detections) units.push_back(normalised(d.embedding));
  std::vector<std::vector<double>> costs(tracks_.size(), std::vector<double>(detections.size()));
  for (size_t i = 0; i < tracks_.size(); ++i)
    for (size_t j = 0; j < detections.size(); ++j)
      costs[i][j] = cost(tracks_[i], detections[j].box, units[j]);
  std::vector<int> track_of(detections.size(), -1);
  for (const auto& [i, j] : solve_assignment(costs, kForbidden))
    track_of[static_cast<size_t>(j)] = i;

  for (size_t j = 0; j < detections.size(); ++j) {
    const auto& d = detections[j];
    if (track_of[j] < 0) {
      tracks_.push_back(Track{0, KalmanBoxFilter(d.box), d.box, 0, 0, 0, {}});
      track_of[j] = static_cast<int>(tracks_.size() - 1);
    } else {
      tracks_[static_cast<size_t>(track_of[j])].filter.correct(d.box);
    }
    Track& t = tracks_[static_cast<size_t>(track_of[j])];
    ++t.hits;
    t.since_update = 0;
    if (!units[j].empty()) {
      const auto& unit = units[j];
      if (t.appearance.size() != unit.size()) {
        t.appearance = unit;
      } else {
        for (size_t k = 0; k < unit.size(); ++k)
          t.appearance[k] =
              kAppearanceMomentum * t.appearance[k] + (1 - kAppearanceMomentum) * unit[k];
        t.appearance = normalised(t.appearance);
      }
    }
    if (t.id == 0 && t.hits >= options_.min_hits) t.id = next_id_++;
    out.push_back({static_cast<int>(j), t.id, d.box, t.age});
  }

  // Tentative tracks die at their first miss; confirmed ones after max_age frames.
  std::vector<Track> kept;
  for (auto& t : tracks_) {
    const bool dead = t.since_update > (t.id == 0 ? 0 : options_.max_age);
    if (!dead) kept.push_back(std::move(t));
  }
  tracks_ = std::move(kept);
  return out;
}

}  // namespace hat::tracking
