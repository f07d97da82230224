// Query x gallery distances, computed a block of queries at a time.
#pragma once

#include <string>

#include <torch/torch.h>

namespace hat {

enum class DistanceMetric { kCosine, kEuclidean };
DistanceMetric metric_from_string(const std::string& name);  // "cosine" | "euclidean"
const char* to_string(DistanceMetric metric);

// Cosine distance (1 - cos) or squared Euclidean distance (ranks like Euclidean). Cosine
// normalises the features IN PLACE (pass clones to keep the originals): at MSMT17 scale a copy
// of the gallery alone is 1.3 GB.
class DistanceBlocks {
 public:
  DistanceBlocks(torch::Tensor query, torch::Tensor gallery, DistanceMetric metric);

  // Rows [begin, begin + count) of the distance matrix, [count, G] float32, contiguous. The
  // returned tensor is reused by the next call.
  const torch::Tensor& rows(int64_t begin, int64_t count);

  // The features as prepared for the metric (unit rows for cosine).
  const torch::Tensor& query() const { return query_; }
  const torch::Tensor& gallery() const { return gallery_; }
  int64_t num_query() const { return query_.size(0); }
  int64_t num_gallery() const { return gallery_.size(0); }
  // Queries per block so that one block stays under `bytes`.
  int64_t block_size(int64_t bytes) const;

 private:
  torch::Tensor query_, gallery_, query_sq_, gallery_sq_, buffer_, rows_;
  DistanceMetric metric_;
};

// Rows scaled to unit length, in place.
void l2_normalize_(torch::Tensor& features);

}  // namespace hat
