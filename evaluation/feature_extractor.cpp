#include "evaluation/feature_extractor.h"

#include <future>

#include "evaluation/progress_bar.h"
#include "frame/image_file.h"
#include "inference/preprocess.h"

namespace hat {

torch::Tensor extract_features(EmbeddingEngine& engine, const std::vector<ImageRecord>& records,
                               int batch_size, const ExtractOptions& options) {
  const int64_t n = static_cast<int64_t>(records.size());
  const PreprocessConfig preprocess = engine.preprocess();
  auto load = [&records, preprocess](int64_t begin, int64_t end) {
    std::vector<torch::Tensor> inputs;
    for (int64_t i = begin; i < end; ++i)
      inputs.push_back(rgb_to_input(read_rgb_image(records[i].path), preprocess));
    return torch::stack(inputs);
  };
  ProgressBar bar(options.label, n, options.progress);
  std::vector<torch::Tensor> parts;
  std::future<torch::Tensor> next;
  if (n > 0) next = std::async(std::launch::async, load, 0, std::min<int64_t>(batch_size, n));
  for (int64_t begin = 0; begin < n; begin += batch_size) {
    const int64_t end = std::min<int64_t>(begin + batch_size, n);
    torch::Tensor batch = next.get();  // rethrows a decoding error
    if (end < n)
      next = std::async(std::launch::async, load, end, std::min<int64_t>(end + batch_size, n));
    torch::Tensor embedding = engine.embed_inputs(batch);
    if (options.flip) embedding = (embedding + engine.embed_inputs(batch.flip({3}))) / 2;
    parts.push_back(embedding);
    bar.advance(end - begin);
  }
  bar.finish();
  if (parts.empty()) return torch::empty({0, engine.dim()});
  return torch::cat(parts);
}

}  // namespace hat
