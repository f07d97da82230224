#include "evaluation/metrics.h"

#include <algorithm>

#include "base/error.h"

namespace hat {

namespace {

// Ranking key: distance, then gallery index (what a stable sort gives).
struct Key {
  float d;
  int j;
  bool operator<(const Key& o) const { return d < o.d || (d == o.d && j < o.j); }
};

// Few matches (the usual case): one vectorised pass over the row per match, counting the items
// below its distance. Built for AVX-512 and AVX2 too, picked at run time.
constexpr int kThresholdPasses = 64;

__attribute__((target_clones("avx512f", "avx2", "default"))) void count_below(const float* row,
                                                                              int n, float t,
                                                                              int* less,
                                                                              int* equal) {
  int lt = 0, eq = 0;
  for (int j = 0; j < n; ++j) {
    lt += row[j] < t;
    eq += row[j] == t;
  }
  *less = lt;
  *equal = eq;
}

void count_before_by_thresholds(const float* row, int n, const float* md, const int* mj, int m,
                                int64_t* before) {
  for (int k = 0; k < m; ++k) {
    int less = 0, equal = 0;
    count_below(row, n, md[k], &less, &equal);
    before[k] = less;
    if (equal > 1)  // ties with the match's distance: those earlier in gallery order rank first
      for (int j = 0; j < mj[k]; ++j) before[k] += row[j] == md[k];
  }
}

// Many matches: one pass over the row, a branch-free binary search per item among the matches,
// and a prefix sum. An item ranked between matches b-1 and b is counted in hist[b].
void count_before_by_search(const float* row, int n, const float* md, const int* mj, int m,
                            int64_t* before) {
  std::vector<int64_t> hist(m + 1, 0);
  const float last_d = md[m - 1];
  const int last_j = mj[m - 1];
  for (int j = 0; j < n; ++j) {
    const float d = row[j];
    if (d > last_d || (d == last_d && j >= last_j)) continue;  // after every match: irrelevant
    int base = 0;
    for (int len = m; len > 1;) {
      const int half = len / 2;
      const int mid = base + half;
      base = (md[mid] < d || (md[mid] == d && mj[mid] <= j)) ? mid : base;
      len -= half;
    }
    base += md[base] < d || (md[base] == d && mj[base] <= j);
    ++hist[base];
  }
  int64_t sum = 0;
  for (int k = 0; k < m; ++k) before[k] = (sum += hist[k]);
}

}  // namespace

QueryScorer::QueryScorer(const Labels& gallery) : gallery_(gallery) {
  for (size_t j = 0; j < gallery.size(); ++j)
    by_pid_[gallery.pids[j]].push_back(static_cast<int>(j));
}

QueryScore QueryScorer::score(const float* row, int pid, int camid) const {
  QueryScore s;
  const auto it = by_pid_.find(pid);
  if (it == by_pid_.end()) return s;
  std::vector<Key> matches, junk;
  for (int j : it->second)
    (same_camera(gallery_.camids[j], camid) ? junk : matches).push_back({row[j], j});
  if (matches.empty()) return s;
  std::sort(matches.begin(), matches.end());
  const int m = static_cast<int>(matches.size());
  std::vector<float> md(m);
  std::vector<int> mj(m);
  for (int k = 0; k < m; ++k) {
    md[k] = matches[k].d;
    mj[k] = matches[k].j;
  }
  const int n = static_cast<int>(gallery_.size());
  // before[k]: items of any kind ranked ahead of match k (earlier matches included).
  std::vector<int64_t> before(m, 0);
  if (m <= kThresholdPasses) {
    count_before_by_thresholds(row, n, md.data(), mj.data(), m, before.data());
  } else {
    count_before_by_search(row, n, md.data(), mj.data(), m, before.data());
  }
  std::sort(junk.begin(), junk.end());
  size_t junk_seen = 0;
  double ap = 0;
  int64_t rank = 0;
  for (int k = 0; k < m; ++k) {
    while (junk_seen < junk.size() && junk[junk_seen] < matches[k]) ++junk_seen;
    // Among kept items: the junk ranked before it does not count.
    rank = before[k] - static_cast<int64_t>(junk_seen);  // 0-based rank of match k
    ap += (k + 1.0) / (rank + 1.0);
    if (k == 0) s.first_hit = static_cast<int>(rank);
  }
  s.valid = true;
  s.num_matches = m;
  s.ap = ap / m;
  s.inp = m / (rank + 1.0);
  return s;
}

std::vector<int> QueryScorer::top_k(const float* row, int pid, int camid, int k) const {
  std::vector<Key> kept;
  kept.reserve(gallery_.size());
  for (size_t j = 0; j < gallery_.size(); ++j)
    if (!(gallery_.pids[j] == pid && same_camera(gallery_.camids[j], camid)))
      kept.push_back({row[j], static_cast<int>(j)});
  const size_t n = std::min<size_t>(static_cast<size_t>(k), kept.size());
  std::partial_sort(kept.begin(), kept.begin() + static_cast<long>(n), kept.end());
  std::vector<int> out;
  for (size_t i = 0; i < n; ++i) out.push_back(kept[i].j);
  return out;
}

MetricsSummary summarize(const std::vector<QueryScore>& scores, int max_rank, size_t gallery_size) {
  MetricsSummary r;
  r.num_queries = static_cast<int>(scores.size());
  const int ranks = static_cast<int>(std::min<size_t>(static_cast<size_t>(max_rank), gallery_size));
  r.cmc.assign(ranks, 0.0);
  for (const auto& s : scores) {
    if (!s.valid) continue;
    ++r.num_valid_queries;
    r.mAP += s.ap;
    r.mINP += s.inp;
    for (int k = s.first_hit; k < ranks; ++k) r.cmc[k] += 1;
  }
  if (r.num_valid_queries == 0)
    throw Error("no query has a true match in the gallery (from another camera)");
  r.mAP /= r.num_valid_queries;
  r.mINP /= r.num_valid_queries;
  for (auto& c : r.cmc) c /= r.num_valid_queries;
  return r;
}

}  // namespace hat
