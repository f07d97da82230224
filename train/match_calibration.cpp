#include "train/match_calibration.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "evaluation/line_plot.h"

namespace hat {

nlohmann::json to_json(const Calibration& c) {
  return {{"threshold", c.threshold},
          {"target_false_match_rate", c.target_false_match_rate},
          {"false_match_rate", c.false_match_rate},
          {"true_match_rate", c.true_match_rate},
          {"positive_pairs", c.positive_pairs},
          {"negative_pairs", c.negative_pairs}};
}

namespace {

double share_below(const std::vector<double>& values, double threshold) {
  const auto below =
      std::count_if(values.begin(), values.end(), [&](double v) { return v < threshold; });
  return static_cast<double>(below) / static_cast<double>(values.size());
}

}  // namespace

Calibration calibrate_match_threshold(const std::vector<double>& positives,
                                      const std::vector<double>& negatives,
                                      double target_false_match_rate) {
  if (negatives.empty())
    throw Error("calibration: no negative pairs (no two tracklets were seen together)");
  if (positives.empty()) throw Error("calibration: no positive pairs");
  if (!(target_false_match_rate >= 0 && target_false_match_rate < 1))
    throw Error("calibration: the target false-match rate must be in [0, 1)");
  Calibration c;
  c.target_false_match_rate = target_false_match_rate;
  // The k-th smallest negative distance, k = floor(rate * n): exactly k negatives lie below it,
  // so the false-match rate never exceeds the target (with few pairs, it falls short of it).
  std::vector<double> sorted = negatives;
  std::sort(sorted.begin(), sorted.end());
  const size_t k = static_cast<size_t>(std::floor(target_false_match_rate * sorted.size()));
  c.threshold = sorted[std::min(k, sorted.size() - 1)];
  c.false_match_rate = share_below(negatives, c.threshold);
  c.true_match_rate = share_below(positives, c.threshold);
  c.positive_pairs = static_cast<int>(positives.size());
  c.negative_pairs = static_cast<int>(negatives.size());
  return c;
}

void write_distance_plot(const std::string& path, const std::vector<double>& positives,
                         const std::vector<double>& negatives, const Calibration& calibration) {
  constexpr double kBin = 0.02;
  double top = 0;
  for (double v : positives) top = std::max(top, v);
  for (double v : negatives) top = std::max(top, v);
  const int bins = std::max(1, static_cast<int>(std::ceil(top / kBin)) + 1);
  auto histogram = [&](const std::vector<double>& values, const std::string& name) {
    Series s{name, {}, {}};
    std::vector<double> counts(static_cast<size_t>(bins), 0.0);
    for (double v : values)
      counts[static_cast<size_t>(std::clamp(static_cast<int>(v / kBin), 0, bins - 1))] += 1;
    for (int b = 0; b < bins; ++b) {
      s.x.push_back((b + 0.5) * kBin);
      s.y.push_back(100.0 * counts[static_cast<size_t>(b)] / values.size());
    }
    return s;
  };
  std::vector<Series> series = {
      histogram(positives, "same person (" + std::to_string(positives.size()) + " pairs)"),
      histogram(negatives, "different people (" + std::to_string(negatives.size()) + " pairs)")};
  double peak = 0;
  for (const auto& s : series)
    for (double y : s.y) peak = std::max(peak, y);
  char name[96];
  std::snprintf(name, sizeof name, "threshold %.3f (false matches %.1f %%, true %.1f %%)",
                calibration.threshold, 100 * calibration.false_match_rate,
                100 * calibration.true_match_rate);
  series.push_back({name, {calibration.threshold, calibration.threshold}, {0, peak}});
  write_line_plot(path, "match distances on the site's tracklets", "cosine distance", "pairs (%)",
                  series, 0, 0);
}

}  // namespace hat
