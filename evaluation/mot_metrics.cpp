#include "evaluation/mot_metrics.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

#include "base/error.h"
#include "tracking/box_iou.h"
#include "tracking/linear_assignment.h"

namespace hat {

using tracking::box_iou;
using tracking::solve_assignment;

TrackSequence read_mot_file(const std::string& path, size_t frames) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot read the MOTChallenge file");
  TrackSequence boxes(frames);
  for (std::string line; std::getline(in, line);) {
    int f, id, x, y, w, h;
    if (std::sscanf(line.c_str(), "%d,%d,%d,%d,%d,%d", &f, &id, &x, &y, &w, &h) != 6) continue;
    if (f >= 1 && static_cast<size_t>(f) <= frames)
      boxes[static_cast<size_t>(f - 1)].push_back({id, cv::Rect(x, y, w, h)});
  }
  return boxes;
}

MotMetrics evaluate_tracking(const TrackSequence& truth, const TrackSequence& tracked,
                             double iou_threshold) {
  if (truth.size() != tracked.size())
    throw std::invalid_argument(
        "evaluate_tracking: ground truth and tracker output differ in frame count");
  MotMetrics m;
  long predicted_total = 0;
  std::map<int, int> last_match;                   // gt id -> tracker id it was last matched to
  std::map<std::pair<int, int>, long> co_matched;  // (gt id, tracker id) -> frames with IoU >= bar
  for (size_t f = 0; f < truth.size(); ++f) {
    const auto& gt = truth[f];
    const auto& pr = tracked[f];
    m.ground_truth += static_cast<long>(gt.size());
    predicted_total += static_cast<long>(pr.size());
    std::vector<std::vector<double>> cost(gt.size(), std::vector<double>(pr.size(), 1.0));
    for (size_t i = 0; i < gt.size(); ++i) {
      for (size_t j = 0; j < pr.size(); ++j) {
        const double iou = box_iou(gt[i].box, pr[j].box);
        if (iou < iou_threshold) continue;
        co_matched[{gt[i].id, pr[j].id}] += 1;
        // CLEAR MOT keeps last frame's correspondences when still valid: favour them.
        const auto it = last_match.find(gt[i].id);
        cost[i][j] = (it != last_match.end() && it->second == pr[j].id) ? -1.0 : 1.0 - iou;
      }
    }
    const auto pairs = solve_assignment(cost, 1.0);
    for (const auto& [i, j] : pairs) {
      const int g = gt[static_cast<size_t>(i)].id, p = pr[static_cast<size_t>(j)].id;
      const auto it = last_match.find(g);
      if (it != last_match.end() && it->second != p) ++m.id_switches;
      last_match[g] = p;
    }
    m.misses += static_cast<long>(gt.size() - pairs.size());
    m.false_positives += static_cast<long>(pr.size() - pairs.size());
  }
  if (m.ground_truth > 0)
    m.mota = 1.0 - static_cast<double>(m.misses + m.false_positives + m.id_switches) /
                       static_cast<double>(m.ground_truth);
  // IDF1: the one-to-one identity mapping that maximises frames where both agree.
  std::map<int, int> gt_index, pr_index;
  for (const auto& [key, n] : co_matched) {
    gt_index.emplace(key.first, static_cast<int>(gt_index.size()));
    pr_index.emplace(key.second, static_cast<int>(pr_index.size()));
  }
  std::vector<std::vector<double>> gain(gt_index.size(), std::vector<double>(pr_index.size(), 0.0));
  for (const auto& [key, n] : co_matched)
    gain[static_cast<size_t>(gt_index[key.first])][static_cast<size_t>(pr_index[key.second])] =
        -static_cast<double>(n);
  for (const auto& [i, j] : solve_assignment(gain, 0.0))
    m.idtp -= static_cast<long>(gain[static_cast<size_t>(i)][static_cast<size_t>(j)]);
  const long total = m.ground_truth + predicted_total;
  m.idf1 = total > 0 ? 2.0 * static_cast<double>(m.idtp) / static_cast<double>(total) : 1.0;
  return m;
}

}  // namespace hat
