// Evaluation at any scale: distances a block of queries at a time, each row scored as it
// streams by (no full distance matrix, no sorted index), optionally re-ranked.
#pragma once

#include <map>
#include <vector>

#include <torch/torch.h>

#include "evaluation/distance.h"
#include "evaluation/metrics.h"
#include "evaluation/rerank.h"

namespace hat {

struct EvaluatorOptions {
  DistanceMetric metric = DistanceMetric::kCosine;
  int max_rank = 50;
  bool rerank = false;
  RerankParams rerank_params;
  int64_t block_bytes = int64_t{256} << 20;  // distance rows held at once
  std::vector<int> ranked_list_queries;      // queries whose top-k list to keep (for pictures)
  int ranked_list_length = 10;
};

struct Evaluation {
  MetricsSummary metrics;
  std::vector<QueryScore> per_query;
  std::map<int, std::vector<int>> ranked_lists;  // query index -> best gallery indices
  double seconds = 0;
};

// Features are [N, D]; for cosine they are normalised in place (see DistanceBlocks). hat::Error
// for mismatched sizes, non-finite features or no valid query.
Evaluation evaluate(torch::Tensor query_features, torch::Tensor gallery_features,
                    const Labels& query, const Labels& gallery, const EvaluatorOptions& options);

// The textbook implementation (full distance matrix, full stable argsort per row, metrics from
// the sorted labels): the benchmark's baseline and the tests' cross-check. Needs O(Q x G) memory.
MetricsSummary evaluate_naive(torch::Tensor query_features, torch::Tensor gallery_features,
                              const Labels& query, const Labels& gallery, DistanceMetric metric,
                              int max_rank);

}  // namespace hat
