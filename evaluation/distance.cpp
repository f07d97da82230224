#include "evaluation/distance.h"

#include "base/error.h"

namespace hat {

DistanceMetric metric_from_string(const std::string& name) {
  if (name == "cosine") return DistanceMetric::kCosine;
  if (name == "euclidean") return DistanceMetric::kEuclidean;
  throw Error("unknown metric '" + name + "' (expected cosine or euclidean)");
}

const char* to_string(DistanceMetric metric) {
  return metric == DistanceMetric::kCosine ? "cosine" : "euclidean";
}

namespace {

// Checked a slice at a time: a mask of the whole gallery would cost 300 MB at MSMT17 scale.
bool all_finite(const torch::Tensor& x) {
  for (int64_t begin = 0; begin < x.size(0); begin += 4096)
    if (!torch::isfinite(x.narrow(0, begin, std::min<int64_t>(4096, x.size(0) - begin)))
             .all()
             .item<bool>())
      return false;
  return true;
}

}  // namespace

void l2_normalize_(torch::Tensor& features) {
  features.div_(features.norm(2, 1, /*keepdim=*/true).clamp_min_(1e-12));
}

DistanceBlocks::DistanceBlocks(torch::Tensor query, torch::Tensor gallery, DistanceMetric metric)
    : query_(std::move(query)), gallery_(std::move(gallery)), metric_(metric) {
  if (query_.dim() != 2 || gallery_.dim() != 2 || query_.size(1) != gallery_.size(1))
    throw Error("query and gallery features must be 2-D with the same dimension (got " +
                std::to_string(query_.size(-1)) + " and " + std::to_string(gallery_.size(-1)) +
                ")");
  query_ = query_.to(torch::kFloat32).contiguous();
  gallery_ = gallery_.to(torch::kFloat32).contiguous();
  if (!all_finite(query_)) throw Error("query features contain NaN or infinity");
  if (!all_finite(gallery_)) throw Error("gallery features contain NaN or infinity");
  if (metric_ == DistanceMetric::kCosine) {
    l2_normalize_(query_);
    l2_normalize_(gallery_);
  } else {
    query_sq_ = query_.norm(2, 1, true).pow_(2);
    gallery_sq_ = gallery_.norm(2, 1).pow_(2).unsqueeze(0);
  }
}

int64_t DistanceBlocks::block_size(int64_t bytes) const {
  return std::max<int64_t>(
      1, std::min<int64_t>(num_query(), bytes / (4 * std::max<int64_t>(1, num_gallery()))));
}

const torch::Tensor& DistanceBlocks::rows(int64_t begin, int64_t count) {
  if (!buffer_.defined() || buffer_.size(0) < count) buffer_ = torch::empty({count, num_gallery()});
  auto out = buffer_.narrow(0, 0, count);
  const auto q = query_.narrow(0, begin, count);
  torch::mm_out(out, q, gallery_.t());
  if (metric_ == DistanceMetric::kCosine) {
    out.mul_(-1).add_(1);
  } else {
    out.mul_(-2).add_(query_sq_.narrow(0, begin, count)).add_(gallery_sq_).clamp_min_(0);
  }
  rows_ = out;
  return rows_;
}

}  // namespace hat
