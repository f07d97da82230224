// The ranking protocol on hand-computed cases, and the blocked evaluator against the textbook
// full-sort implementation.
#include <gtest/gtest.h>

#include "base/error.h"
#include "evaluation/evaluator.h"
#include "evaluation/metrics.h"
#include "evaluation/synthetic_features.h"

namespace hat {
namespace {

Labels labels(std::vector<int> pids, std::vector<int> cams) {
  return Labels{std::move(pids), std::move(cams)};
}

TEST(QueryScorer, HandComputedQueryWithJunkAndDistractor) {
  // Query: identity 1, camera 0. Kept ranking: j1 (wrong), j2 (match), j3 (distractor), j4 (match),
  // j5; j0 shares identity AND camera, so it is dropped.
  const Labels g = labels({1, 2, 1, 0, 1, 3}, {0, 1, 1, 2, 2, 0});
  const float d[] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
  const auto s = QueryScorer(g).score(d, 1, 0);
  ASSERT_TRUE(s.valid);
  EXPECT_EQ(s.num_matches, 2);
  EXPECT_EQ(s.first_hit, 1);
  EXPECT_DOUBLE_EQ(s.ap,
                   (1.0 / 2 + 2.0 / 4) / 2);  // precision 1/2 at the first hit, 2/4 at the second
  EXPECT_DOUBLE_EQ(s.inp, 2.0 / 4);           // two hits, the last at rank 4
}

TEST(QueryScorer, UnknownCameraKeepsSameCameraImagesAsMatches) {
  const Labels g = labels({1, 2, 1, 0, 1, 3}, {0, 1, 1, 2, 2, 0});
  const float d[] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
  const auto s = QueryScorer(g).score(d, 1, -1);
  EXPECT_EQ(s.num_matches, 3);
  EXPECT_EQ(s.first_hit, 0);
  EXPECT_DOUBLE_EQ(s.ap, (1.0 / 1 + 2.0 / 3 + 3.0 / 5) / 3);
}

TEST(QueryScorer, QueryWithOnlySameCameraMatchesIsSkipped) {
  const Labels g = labels({4, 4, 2}, {3, 3, 1});
  const float d[] = {0.1f, 0.2f, 0.3f};
  EXPECT_FALSE(QueryScorer(g).score(d, 4, 3).valid);
  EXPECT_FALSE(QueryScorer(g).score(d, 9, 0).valid);  // identity absent from the gallery
}

TEST(QueryScorer, TiesRankInGalleryOrder) {
  const Labels g = labels({2, 1, 3, 1}, {1, 1, 1, 1});
  const float d[] = {0.5f, 0.5f, 0.5f, 0.5f};
  const auto s = QueryScorer(g).score(d, 1, 0);
  EXPECT_EQ(s.first_hit, 1);
  EXPECT_DOUBLE_EQ(s.ap, (1.0 / 2 + 2.0 / 4) / 2);
}

TEST(QueryScorer, TopKDropsJunkAndFollowsTheRanking) {
  const Labels g = labels({1, 2, 1, 0, 1, 3}, {0, 1, 1, 2, 2, 0});
  const float d[] = {0.1f, 0.6f, 0.3f, 0.2f, 0.5f, 0.4f};
  EXPECT_EQ(QueryScorer(g).top_k(d, 1, 0, 3), (std::vector<int>{3, 2, 5}));
}

TEST(Summarize, AveragesOverValidQueriesOnly) {
  QueryScore a, b, skipped;
  a.valid = b.valid = true;
  a.ap = 1.0;
  a.inp = 1.0;
  a.first_hit = 0;
  b.ap = 0.5;
  b.inp = 0.25;
  b.first_hit = 2;
  const auto m = summarize({a, skipped, b}, 50, 4);
  EXPECT_EQ(m.num_valid_queries, 2);
  EXPECT_EQ(m.num_queries, 3);
  EXPECT_DOUBLE_EQ(m.mAP, 0.75);
  EXPECT_DOUBLE_EQ(m.mINP, 0.625);
  EXPECT_EQ(m.cmc, (std::vector<double>{0.5, 0.5, 1.0, 1.0}));  // cut at the gallery size
  EXPECT_THROW(summarize({skipped}, 50, 4), Error);
}

struct Case {
  DistanceMetric metric;
  int ids, cameras, gallery;
  // Coarse integer features: many exactly tied distances. Only with Euclidean are they exact
  // whatever the GEMM blocking (normalised cosine rows round differently per block shape).
  bool quantize;
};

class BlockedVsNaive : public ::testing::TestWithParam<Case> {};

TEST_P(BlockedVsNaive, SameMetrics) {
  const Case c = GetParam();
  SyntheticSpec spec;
  spec.queries = 150;
  spec.gallery = c.gallery;
  spec.dim = 24;
  spec.ids = c.ids;
  spec.cameras = c.cameras;
  spec.seed = 7;
  auto data = make_synthetic_features(spec);
  if (c.quantize) {
    data.query = torch::round(data.query * 4);
    data.gallery = torch::round(data.gallery * 4);
  }
  EvaluatorOptions options;
  options.metric = c.metric;
  options.block_bytes = 4 * c.gallery * 16;  // 16 queries per block
  const auto blocked = evaluate(data.query.clone(), data.gallery.clone(), data.query_labels,
                                data.gallery_labels, options);
  const auto naive = evaluate_naive(data.query.clone(), data.gallery.clone(), data.query_labels,
                                    data.gallery_labels, c.metric, 50);
  EXPECT_GT(blocked.metrics.num_valid_queries, 100);
  EXPECT_EQ(blocked.metrics.num_valid_queries, naive.num_valid_queries);
  EXPECT_NEAR(blocked.metrics.mAP, naive.mAP, 1e-12);
  EXPECT_NEAR(blocked.metrics.mINP, naive.mINP, 1e-12);
  ASSERT_EQ(blocked.metrics.cmc.size(), naive.cmc.size());
  for (size_t k = 0; k < naive.cmc.size(); ++k)
    EXPECT_NEAR(blocked.metrics.cmc[k], naive.cmc[k], 1e-12) << k;
}

INSTANTIATE_TEST_SUITE_P(
    Protocol, BlockedVsNaive,
    ::testing::Values(
        Case{DistanceMetric::kCosine, 40, 6, 600, false},  // few matches per query
        Case{DistanceMetric::kEuclidean, 40, 6, 600, false},
        Case{DistanceMetric::kCosine, 3, 4, 600, false},      // ~200 matches: the search path
        Case{DistanceMetric::kEuclidean, 40, 3, 600, true},   // ties
        Case{DistanceMetric::kEuclidean, 3, 2, 600, true}));  // integer features: exact ties

TEST(Evaluate, RankedListsAndErrors) {
  SyntheticSpec spec;
  spec.queries = 20;
  spec.gallery = 100;
  spec.dim = 8;
  spec.ids = 10;
  spec.cameras = 3;
  auto data = make_synthetic_features(spec);
  EvaluatorOptions options;
  options.ranked_list_queries = {0, 7};
  options.ranked_list_length = 5;
  const auto e = evaluate(data.query.clone(), data.gallery.clone(), data.query_labels,
                          data.gallery_labels, options);
  ASSERT_EQ(e.ranked_lists.size(), 2u);
  EXPECT_EQ(e.ranked_lists.at(7).size(), 5u);
  EXPECT_THROW(evaluate(data.query.narrow(0, 0, 5), data.gallery, data.query_labels,
                        data.gallery_labels, {}),
               Error);
  auto bad = data.query.clone();
  bad[3][2] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(evaluate(bad, data.gallery.clone(), data.query_labels, data.gallery_labels, {}),
               Error);
}

}  // namespace
}  // namespace hat
