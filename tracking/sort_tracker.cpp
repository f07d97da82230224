#include "tracking/sort_tracker.h"

#include <algorithm>
#include <cmath>

#include "tracking/box_iou.h"
#include "tracking/linear_assignment.h"

namespace hat::tracking {
namespace {

constexpr double kForbidden = 1e9;
constexpr float kAppearanceMomentum = 0.8f;  // weight of the history in the running appearance
// How far from its prediction a lost track may be re-activated by appearance: one box height,
// growing by a tenth of it per frame lost (people keep walking while hidden), up to three.
constexpr double kReactivationGrowth = 0.1, kReactivationMax = 3.0;

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

// The assignment of `rows` x `cols` by `cost(row, col)`: match[col] = row, or -1.
template <class Cost>
std::vector<int> assign(const std::vector<int>& rows, const std::vector<int>& cols, Cost cost) {
  std::vector<std::vector<double>> costs(rows.size(), std::vector<double>(cols.size()));
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < cols.size(); ++j) costs[i][j] = cost(rows[i], cols[j]);
  std::vector<int> match(cols.size(), -1);
  for (const auto& [i, j] : solve_assignment(costs, kForbidden))
    match[static_cast<size_t>(j)] = rows[static_cast<size_t>(i)];
  return match;
}

}  // namespace

SortTracker::SortTracker(const TrackerOptions& options) : options_(options) {}

void SortTracker::reset() {
  tracks_.clear();
  next_id_ = 1;
  since_detection_ = 0;
}

bool SortTracker::has_left(const Track& t) const {
  if (frame_.area() <= 0 || t.predicted.area() <= 0) return false;
  const cv::Rect inside = t.predicted & cv::Rect(0, 0, frame_.width, frame_.height);
  return inside.area() < t.predicted.area() / 2;
}

double SortTracker::cost(const Track& track, const cv::Rect& box,
                         const std::vector<float>& unit_embedding) const {
  const double iou = box_iou(track.predicted, box);
  if (track.appearance.empty() || unit_embedding.empty())
    return iou >= options_.iou_threshold ? 1.0 - iou : kForbidden;
  const double cos = cosine_distance(track.appearance, unit_embedding);
  // Appearance may rescue a match that motion alone misses (a turn, an occlusion, a track lost
  // for a while), but only near the prediction.
  const cv::Point2d c1 = (track.predicted.tl() + track.predicted.br()) * 0.5;
  const cv::Point2d c2 = (box.tl() + box.br()) * 0.5;
  const double reach =
      std::min(kReactivationMax, 1.0 + kReactivationGrowth * std::max(0, track.since_update - 1));
  const bool near =
      std::hypot(c1.x - c2.x, c1.y - c2.y) <= reach * std::max(track.predicted.height, 1);
  const bool allowed = (iou >= options_.iou_threshold && cos <= 2 * options_.max_cosine_distance) ||
                       (near && cos <= options_.max_cosine_distance);
  if (!allowed) return kForbidden;
  const double w = options_.appearance_weight;
  return (1.0 - w) * (1.0 - iou) + w * cos;
}

std::vector<TrackerOutput> SortTracker::update(const std::vector<TrackerDetection>& detections,
                                               bool detector_ran) {
  ++since_detection_;
  for (auto& t : tracks_) {
    t.predicted = t.filter.predict();
    ++t.age;
    ++t.since_update;
  }
  // Tracks that walked out of the frame end there, not max_age frames later at the edge.
  tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(),
                               [&](const Track& t) { return t.id > 0 && has_left(t); }),
                tracks_.end());
  std::vector<TrackerOutput> out;
  if (!detector_ran) {
    for (const auto& t : tracks_)
      if (t.id > 0 && is_tracked(t)) out.push_back({-1, t.id, t.predicted, t.age});
    return out;
  }

  // Each detection's embedding is normalised once, not once per track it is compared with.
  std::vector<std::vector<float>> units;
  std::vector<int> strong, weak;
  for (size_t j = 0; j < detections.size(); ++j) {
    units.push_back(normalised(detections[j].embedding));
    (detections[j].confidence >= options_.high_threshold ? strong : weak)
        .push_back(static_cast<int>(j));
  }
  std::vector<int> all_tracks(tracks_.size());
  for (size_t i = 0; i < tracks_.size(); ++i) all_tracks[i] = static_cast<int>(i);

  std::vector<int> track_of(detections.size(), -1);
  std::vector<bool> matched(tracks_.size(), false);
  const auto first = assign(all_tracks, strong, [&](int i, int j) {
    return cost(tracks_[static_cast<size_t>(i)], detections[static_cast<size_t>(j)].box,
                units[static_cast<size_t>(j)]);
  });
  for (size_t k = 0; k < strong.size(); ++k)
    if (first[k] >= 0) {
      track_of[static_cast<size_t>(strong[k])] = first[k];
      matched[static_cast<size_t>(first[k])] = true;
    }
  std::vector<int> remaining;
  for (size_t i = 0; i < tracks_.size(); ++i)
    if (!matched[i] && tracks_[i].id > 0 && is_tracked(tracks_[i]))
      remaining.push_back(static_cast<int>(i));
  const auto second = assign(remaining, weak, [&](int i, int j) {
    const double iou =
        box_iou(tracks_[static_cast<size_t>(i)].predicted, detections[static_cast<size_t>(j)].box);
    return iou >= options_.low_iou_threshold ? 1.0 - iou : kForbidden;
  });
  for (size_t k = 0; k < weak.size(); ++k)
    if (second[k] >= 0) track_of[static_cast<size_t>(weak[k])] = second[k];

  for (size_t j = 0; j < detections.size(); ++j) {
    const auto& d = detections[j];
    if (track_of[j] < 0) {
      if (d.confidence < options_.high_threshold) continue;  // a weak box starts nothing
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
  since_detection_ = 0;

  // Tentative tracks die at their first miss; confirmed ones after max_age frames.
  tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(),
                               [&](const Track& t) {
                                 return t.since_update > (t.id == 0 ? 0 : options_.max_age);
                               }),
                tracks_.end());
  return out;
}

}  // namespace hat::tracking
