#include "evaluation/evaluator.h"

#include <ATen/Parallel.h>

#include <chrono>
#include <memory>

#include "base/error.h"

namespace hat {

namespace {

void check_sizes(const torch::Tensor& qf, const torch::Tensor& gf, const Labels& q,
                 const Labels& g) {
  if (qf.dim() != 2 || static_cast<size_t>(qf.size(0)) != q.size())
    throw Error("query features have " + std::to_string(qf.size(0)) + " rows but there are " +
                std::to_string(q.size()) + " query labels");
  if (gf.dim() != 2 || static_cast<size_t>(gf.size(0)) != g.size())
    throw Error("gallery features have " + std::to_string(gf.size(0)) + " rows but there are " +
                std::to_string(g.size()) + " gallery labels");
  if (g.size() == 0 || q.size() == 0) throw Error("empty query or gallery");
}

}  // namespace

Evaluation evaluate(torch::Tensor query_features, torch::Tensor gallery_features,
                    const Labels& query, const Labels& gallery, const EvaluatorOptions& options) {
  check_sizes(query_features, gallery_features, query, gallery);
  const auto start = std::chrono::steady_clock::now();
  torch::InferenceMode guard;
  DistanceBlocks blocks(std::move(query_features), std::move(gallery_features), options.metric);
  std::unique_ptr<KReciprocalReranker> reranker;
  if (options.rerank)
    reranker =
        std::make_unique<KReciprocalReranker>(blocks.query(), blocks.gallery(), options.metric,
                                              options.rerank_params, options.block_bytes);
  const QueryScorer scorer(gallery);
  Evaluation out;
  out.per_query.resize(query.size());
  const int64_t nq = blocks.num_query();
  const int64_t block = blocks.block_size(options.block_bytes);
  for (int64_t begin = 0; begin < nq; begin += block) {
    const int64_t count = std::min(block, nq - begin);
    torch::Tensor rows = blocks.rows(begin, count);
    if (reranker) reranker->apply(rows, begin);
    at::parallel_for(0, count, 8, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const int64_t q = begin + r;
        out.per_query[q] = scorer.score(rows[r].data_ptr<float>(), query.pids[q], query.camids[q]);
      }
    });
    for (int q : options.ranked_list_queries)
      if (q >= begin && q < begin + count)
        out.ranked_lists[q] = scorer.top_k(rows[q - begin].data_ptr<float>(), query.pids[q],
                                           query.camids[q], options.ranked_list_length);
  }
  out.metrics = summarize(out.per_query, options.max_rank, gallery.size());
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

MetricsSummary evaluate_naive(torch::Tensor query_features, torch::Tensor gallery_features,
                              const Labels& query, const Labels& gallery, DistanceMetric metric,
                              int max_rank) {
  check_sizes(query_features, gallery_features, query, gallery);
  torch::InferenceMode guard;
  DistanceBlocks blocks(std::move(query_features), std::move(gallery_features), metric);
  const torch::Tensor dist = blocks.rows(0, blocks.num_query()).clone();  // the full Q x G matrix
  const torch::Tensor order =
      std::get<1>(dist.sort(std::optional<bool>(true), /*dim=*/1));  // stable
  std::vector<QueryScore> scores(query.size());
  for (size_t q = 0; q < query.size(); ++q) {
    const int64_t* idx = order[static_cast<int64_t>(q)].data_ptr<int64_t>();
    QueryScore& s = scores[q];
    int rank = 0, hits = 0, total = 0;
    for (size_t a = 0; a < gallery.size(); ++a)
      total += gallery.pids[a] == query.pids[q] && !same_camera(gallery.camids[a], query.camids[q]);
    double precision_sum = 0;
    for (size_t a = 0; a < gallery.size() && hits < total; ++a) {
      const int64_t j = idx[a];
      const bool same_id = gallery.pids[j] == query.pids[q];
      if (same_id && same_camera(gallery.camids[j], query.camids[q])) continue;  // dropped
      if (same_id) {
        ++hits;
        if (hits == 1) s.first_hit = rank;
        precision_sum += static_cast<double>(hits) / (rank + 1);
        if (hits == total) s.inp = static_cast<double>(hits) / (rank + 1);
      }
      ++rank;
    }
    if (total == 0) continue;
    s.valid = true;
    s.num_matches = total;
    s.ap = precision_sum / total;
  }
  return summarize(scores, max_rank, gallery.size());
}

}  // namespace hat
