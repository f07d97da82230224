// k-reciprocal re-ranking: a hand-checkable case, and the sparse implementation against the
// dense published algorithm (tests/oracles/rerank_dense.py).
#include <gtest/gtest.h>

#include <cmath>

#include "base/error.h"
#include "evaluation/distance.h"
#include "evaluation/rerank.h"
#include "evaluation/synthetic_features.h"
#include "inference/npy.h"
#include "tests/test_env.h"

namespace hat {
namespace {

torch::Tensor reranked(const torch::Tensor& q, const torch::Tensor& g, DistanceMetric metric,
                       const RerankParams& p) {
  DistanceBlocks blocks(q.clone(), g.clone(), metric);
  KReciprocalReranker reranker(blocks.query(), blocks.gallery(), metric, p, 1 << 20);
  torch::Tensor rows = blocks.rows(0, q.size(0)).clone();
  reranker.apply(rows, 0);
  return rows;
}

TEST(Rerank, HandCheckableTwoClusters) {
  // 1-D points, squared Euclidean: query at 0; gallery a = 0.1 (its own cluster), b = 10 and
  // c = 10.1 (the other). With k1 = 1 each sample's k-reciprocal set is itself and its partner,
  // so only a shares weight with the query; b and c keep Jaccard distance 1.
  const auto q = torch::tensor({{0.0f}});
  const auto g = torch::tensor({{0.1f}, {10.0f}, {10.1f}});
  RerankParams p;
  p.k1 = 1;
  p.k2 = 1;
  p.lambda = 0.3;
  const auto r = reranked(q, g, DistanceMetric::kEuclidean, p);
  const double max_q = 10.1 * 10.1;  // the query's row maximum (to c)
  // The query's weights: exp(-0) and exp(-0.01/max_q), normalised; a's: exp(-0), exp(-0.01/100).
  const double wq = 1 / (1 + std::exp(-0.01 / max_q)), wa = 1 / (1 + std::exp(-0.01 / 100));
  const double t = std::min(wq, 1 - wa) + std::min(1 - wq, wa);  // overlap on {q, a}
  EXPECT_NEAR(r[0][0].item<double>(), 0.7 * (1 - t / (2 - t)) + 0.3 * 0.01 / max_q, 1e-6);
  EXPECT_NEAR(r[0][1].item<double>(), 0.7 + 0.3 * 100 / max_q, 1e-5);
  EXPECT_NEAR(r[0][2].item<double>(), 0.7 + 0.3 * 1.0, 1e-5);
}

TEST(Rerank, LambdaOneIsTheRowNormalisedDistance) {
  SyntheticSpec spec;
  spec.queries = 10;
  spec.gallery = 40;
  spec.dim = 6;
  spec.ids = 5;
  auto data = make_synthetic_features(spec);
  RerankParams p;
  p.lambda = 1.0;
  const auto r = reranked(data.query, data.gallery, DistanceMetric::kCosine, p);
  DistanceBlocks plain(data.query.clone(), data.gallery.clone(), DistanceMetric::kCosine);
  const auto d = plain.rows(0, 10).clone();
  DistanceBlocks all(torch::cat({data.query, data.gallery}), torch::cat({data.query, data.gallery}),
                     DistanceMetric::kCosine);
  const auto row_max = std::get<0>(all.rows(0, 10).max(1, true));
  EXPECT_TRUE(torch::allclose(r, d / row_max, 1e-5, 1e-6));
}

class RerankVsDense : public ::testing::TestWithParam<DistanceMetric> {};

TEST_P(RerankVsDense, MatchesThePublishedAlgorithm) {
  SyntheticSpec spec;
  spec.queries = 30;
  spec.gallery = 120;
  spec.dim = 16;
  spec.ids = 12;
  spec.cameras = 3;
  spec.seed = 3;
  const auto data = make_synthetic_features(spec);
  const std::string dir = test::scratch_dir();
  write_npy(dir + "/q.npy", data.query);
  write_npy(dir + "/g.npy", data.gallery);
  const std::string metric = to_string(GetParam());
  const auto r =
      test::run(test::python() + " " + test::source_root() + "/tests/oracles/rerank_dense.py " +
                dir + "/q.npy " + dir + "/g.npy " + metric + " 20 6 0.3 " + dir + "/expected.npy");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto expected = read_npy(dir + "/expected.npy");
  const auto got = reranked(data.query, data.gallery, GetParam(), RerankParams{});
  ASSERT_EQ(got.sizes(), expected.sizes());
  EXPECT_LT((got - expected).abs().max().item<double>(), 2e-5);
}

INSTANTIATE_TEST_SUITE_P(Metrics, RerankVsDense,
                         ::testing::Values(DistanceMetric::kCosine, DistanceMetric::kEuclidean));

TEST(Rerank, InvalidParametersAreRejected) {
  const auto f = torch::randn({4, 3});
  RerankParams p;
  p.k2 = 30;
  EXPECT_THROW(KReciprocalReranker(f, f, DistanceMetric::kCosine, p, 1 << 20), Error);
}

}  // namespace
}  // namespace hat
