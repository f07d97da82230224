// k-reciprocal re-ranking (Zhong et al., CVPR 2017) with the usual k1 = 20, k2 = 6, lambda = 0.3.
//
// The published algorithm builds dense (q+g) x (q+g) matrices: 35 GB at MSMT17 scale. This one is
// exact but sparse: it keeps each sample's k1+1 nearest neighbours, its row maximum and its
// k-reciprocal weight vector (a few dozen entries), computes the Jaccard distance through an
// inverted index, and corrects the query x gallery distance blocks as they stream by. It works on
// the evaluation metric's distance (cosine distance, or squared Euclidean as in the HAT
// reference's evaluation); each row is divided by its maximum, as in the original.
#pragma once

#include <utility>
#include <vector>

#include <torch/torch.h>

#include "evaluation/distance.h"

namespace hat {

struct RerankParams {
  int k1 = 20;
  int k2 = 6;
  double lambda = 0.3;
};

class KReciprocalReranker {
 public:
  // `query` and `gallery` as prepared by DistanceBlocks (unit rows for cosine).
  KReciprocalReranker(const torch::Tensor& query, const torch::Tensor& gallery,
                      DistanceMetric metric, const RerankParams& params, int64_t block_bytes);

  // Replaces original distances of queries [begin, begin + rows.size(0)) to the gallery by the
  // re-ranked ones, in place.
  void apply(torch::Tensor& rows, int64_t begin) const;

 private:
  using SparseRow = std::vector<std::pair<int, float>>;  // (column, weight), columns ascending
  int64_t num_query_, num_gallery_;
  RerankParams params_;
  std::vector<float> row_max_;
  std::vector<SparseRow> v_;         // after query expansion
  std::vector<SparseRow> inverted_;  // column -> (row, weight)
};

}  // namespace hat
