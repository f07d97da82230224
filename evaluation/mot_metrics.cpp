#include "evaluation/mot_metrics.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/file_io.h"
#include "tracking/box_iou.h"
#include "tracking/linear_assignment.h"

namespace hat {

using tracking::box_iou;
using tracking::solve_assignment;

namespace {

void add_box(TrackSequence& boxes, size_t frames, int frame, int id, const cv::Rect& box) {
  if (frame < 1 || (frames > 0 && static_cast<size_t>(frame) > frames)) return;
  if (boxes.size() < static_cast<size_t>(frame)) boxes.resize(static_cast<size_t>(frame));
  boxes[static_cast<size_t>(frame - 1)].push_back({id, box});
}

}  // namespace

TrackSequence read_mot_file(const std::string& path, size_t frames) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot read the MOTChallenge file");
  TrackSequence boxes(frames);
  long number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    double f, id, x, y, w, h, flag = 1;
    const int n =
        std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf,%lf,%lf,%lf", &f, &id, &x, &y, &w, &h, &flag);
    if (n < 6)
      throw Error(path + ":" + std::to_string(number) +
                  ": not a MOTChallenge line (frame,id,x,y,w,h,...)");
    if (flag == 0) continue;  // ground truth marked "ignore"
    add_box(boxes, frames, static_cast<int>(f), static_cast<int>(id),
            cv::Rect(static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y)),
                     static_cast<int>(std::lround(w)), static_cast<int>(std::lround(h))));
  }
  return boxes;
}

void write_mot_file(const std::string& path, const TrackSequence& tracks) {
  std::string text;
  for (size_t f = 0; f < tracks.size(); ++f)
    for (const TrackedBox& t : tracks[f])
      text += std::to_string(f + 1) + "," + std::to_string(t.id) + "," + std::to_string(t.box.x) +
              "," + std::to_string(t.box.y) + "," + std::to_string(t.box.width) + "," +
              std::to_string(t.box.height) + ",1,-1,-1,-1\n";
  write_file_atomically(path, text.data(), text.size());
}

TrackSequence read_event_tracks(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot read the events file");
  TrackSequence boxes;
  long number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(number);
    try {
      const auto event = nlohmann::json::parse(line);
      const int frame = event.at("frame").get<int>();
      for (const auto& object : event.at("objects")) {
        if (!object.contains("track_id")) continue;
        const auto& b = object.at("box");
        add_box(boxes, 0, frame + 1, object.at("track_id").get<int>(),
                cv::Rect(b.at(0).get<int>(), b.at(1).get<int>(), b.at(2).get<int>(),
                         b.at(3).get<int>()));
      }
    } catch (const nlohmann::json::exception& e) {
      throw Error(where + ": not a hatevents line (" + std::string(e.what()) + ")");
    }
  }
  return boxes;
}

MotMetrics evaluate_tracking(const TrackSequence& truth, const TrackSequence& tracked,
                             double iou_threshold) {
  MotMetrics m;
  std::map<int, int> last_match;                   // gt id -> tracker id it was last matched to
  std::map<std::pair<int, int>, long> co_matched;  // (gt id, tracker id) -> frames with IoU >= bar
  std::set<int> gt_ids, pr_ids;
  const size_t frames = std::max(truth.size(), tracked.size());
  const std::vector<TrackedBox> empty;
  for (size_t f = 0; f < frames; ++f) {
    const auto& gt = f < truth.size() ? truth[f] : empty;
    const auto& pr = f < tracked.size() ? tracked[f] : empty;
    m.ground_truth += static_cast<long>(gt.size());
    m.predicted += static_cast<long>(pr.size());
    for (const auto& g : gt) gt_ids.insert(g.id);
    for (const auto& p : pr) pr_ids.insert(p.id);
    std::vector<std::vector<double>> iou(gt.size(), std::vector<double>(pr.size(), 0.0));
    for (size_t i = 0; i < gt.size(); ++i)
      for (size_t j = 0; j < pr.size(); ++j) {
        iou[i][j] = box_iou(gt[i].box, pr[j].box);
        if (iou[i][j] >= iou_threshold) co_matched[{gt[i].id, pr[j].id}] += 1;
      }
    // Correspondences kept from earlier frames come first; the rest by minimum cost.
    std::vector<bool> gt_done(gt.size(), false), pr_done(pr.size(), false);
    long matched = 0;
    for (size_t i = 0; i < gt.size(); ++i) {
      const auto it = last_match.find(gt[i].id);
      if (it == last_match.end()) continue;
      for (size_t j = 0; j < pr.size(); ++j)
        if (!pr_done[j] && pr[j].id == it->second && iou[i][j] >= iou_threshold) {
          gt_done[i] = pr_done[j] = true;
          ++matched;
          break;
        }
    }
    std::vector<size_t> rows, cols;
    for (size_t i = 0; i < gt.size(); ++i)
      if (!gt_done[i]) rows.push_back(i);
    for (size_t j = 0; j < pr.size(); ++j)
      if (!pr_done[j]) cols.push_back(j);
    // Pairs under the bar cost more than any assignment of valid pairs could (py-motmetrics'
    // add_expensive_edges), so the most pairs are matched first, then the cheapest.
    double largest = 0;
    for (size_t r : rows)
      for (size_t c : cols)
        if (iou[r][c] >= iou_threshold) largest = std::max(largest, 1.0 - iou[r][c]);
    const double invalid =
        2.0 * static_cast<double>(std::min(rows.size(), cols.size())) * (largest + 1) + 1;
    std::vector<std::vector<double>> cost(rows.size(), std::vector<double>(cols.size(), invalid));
    for (size_t r = 0; r < rows.size(); ++r)
      for (size_t c = 0; c < cols.size(); ++c) {
        const double v = iou[rows[r]][cols[c]];
        if (v >= iou_threshold) cost[r][c] = 1.0 - v;
      }
    for (const auto& [r, c] : solve_assignment(cost, invalid)) {
      const auto& g = gt[rows[static_cast<size_t>(r)]];
      const auto& p = pr[cols[static_cast<size_t>(c)]];
      if (iou[rows[static_cast<size_t>(r)]][cols[static_cast<size_t>(c)]] < iou_threshold) continue;
      const auto it = last_match.find(g.id);
      if (it != last_match.end() && it->second != p.id) ++m.id_switches;
      last_match[g.id] = p.id;
      ++matched;
    }
    m.matches += matched;
    m.misses += static_cast<long>(gt.size()) - matched;
    m.false_positives += static_cast<long>(pr.size()) - matched;
  }
  m.gt_ids = static_cast<long>(gt_ids.size());
  m.predicted_ids = static_cast<long>(pr_ids.size());
  if (m.ground_truth > 0) {
    m.mota = 1.0 - static_cast<double>(m.misses + m.false_positives + m.id_switches) /
                       static_cast<double>(m.ground_truth);
    m.recall = static_cast<double>(m.matches) / static_cast<double>(m.ground_truth);
  }
  m.precision =
      m.predicted > 0 ? static_cast<double>(m.matches) / static_cast<double>(m.predicted) : 1.0;
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
  const long total = m.ground_truth + m.predicted;
  m.idf1 = total > 0 ? 2.0 * static_cast<double>(m.idtp) / static_cast<double>(total) : 1.0;
  return m;
}

}  // namespace hat
