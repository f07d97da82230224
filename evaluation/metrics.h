// The standard re-ID ranking protocol for one query and its aggregation: mAP, CMC, mINP.
//
// Per query the gallery is ranked by distance (equal distances keep gallery order). Items that
// share BOTH identity and camera with the query are dropped; a query left with no true match is
// skipped. AP is non-interpolated (mean precision at each hit), INP = hits / rank of the last hit,
// CMC(k) = 1 when the first hit is within the top k. Averages are over the valid queries.
#pragma once

#include <cstddef>
#include <unordered_map>
#include <vector>

namespace hat {

struct Labels {
  std::vector<int> pids;
  std::vector<int> camids;  // -1: unknown, never "the same camera"
  size_t size() const { return pids.size(); }
};

struct QueryScore {
  bool valid = false;  // has at least one true match after the same-camera filter
  double ap = 0;
  double inp = 0;
  int first_hit = -1;  // 0-based rank of the first true match among the kept items
  int num_matches = 0;
};

// Scores distance rows against one gallery without sorting them: only the true matches are
// sorted, and one pass over the row counts, for each of them, the items ranked before it.
class QueryScorer {
 public:
  explicit QueryScorer(const Labels& gallery);

  QueryScore score(const float* distances, int pid, int camid) const;
  // The k best kept gallery items (same identity + same camera dropped), in rank order.
  std::vector<int> top_k(const float* distances, int pid, int camid, int k) const;

 private:
  const Labels& gallery_;
  std::unordered_map<int, std::vector<int>> by_pid_;
};

struct MetricsSummary {
  double mAP = 0;
  double mINP = 0;
  std::vector<double> cmc;  // cmc[0] is rank-1
  int num_valid_queries = 0;
  int num_queries = 0;
};

// Averages over the valid queries; the CMC has min(max_rank, gallery size) entries. hat::Error
// when no query is valid.
MetricsSummary summarize(const std::vector<QueryScore>& scores, int max_rank, size_t gallery_size);

// Same-camera rule: both cameras known and equal.
inline bool same_camera(int a, int b) { return a >= 0 && a == b; }

}  // namespace hat
