// Synthetic embeddings shaped like a benchmark's test set: identity clusters seen by several
// cameras (each camera shifts its images), for benchmarks and tests of the evaluator.
#pragma once

#include <cstdint>

#include <torch/torch.h>

#include "evaluation/metrics.h"

namespace hat {

struct SyntheticSpec {
  int64_t queries = 11659, gallery = 82161, dim = 4096;  // MSMT17's test set
  int ids = 3060, cameras = 15;
  // Norms of the identity centre, the camera shift and the per-image noise. The defaults make the
  // task about as hard as MSMT17 for a good model (mAP around 60 %), so that true matches are
  // spread down the ranking as in real data.
  double identity = 0.25, camera_shift = 0.12, noise = 1.0;
  uint64_t seed = 0;
};

struct SyntheticFeatures {
  torch::Tensor query, gallery;  // [N, dim] float32
  Labels query_labels, gallery_labels;
};

SyntheticFeatures make_synthetic_features(const SyntheticSpec& spec);

}  // namespace hat
