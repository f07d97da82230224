// Dataset images -> embeddings: decoding and preprocessing of the next batch overlap the model's
// work on the current one; optional flip test.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

#include "evaluation/dataset.h"
#include "inference/embedding_engine.h"

namespace hat {

struct ExtractOptions {
  bool flip = false;     // average the embeddings of each image and its mirror
  bool progress = true;  // progress bar on stderr
  std::string label = "features";
};

// [N, D] float32 in record order. hat::Error names an unreadable image.
torch::Tensor extract_features(EmbeddingEngine& engine, const std::vector<ImageRecord>& records,
                               int batch_size, const ExtractOptions& options);

}  // namespace hat
