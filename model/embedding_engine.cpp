#include "model/embedding_engine.h"

#include <torch/cuda.h>

#include "model/error.h"

namespace hat {

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
#ifdef HAT_WITH_CUDA
    int index = 0;
    if (name.size() > 5) {
      try {
        size_t used = 0;
        index = std::stoi(name.substr(5), &used);
        if (used != name.size() - 5 || index < 0) throw std::invalid_argument(name);
      } catch (const std::exception&) {
        throw Error("invalid device '" + name + "' (expected cpu, cuda or cuda:N)");
      }
    }
    const int count = static_cast<int>(torch::cuda::device_count());
    if (index >= count)
      throw Error("device '" + name + "' requested but " + std::to_string(count) +
                  " CUDA device(s) are available");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
#else
    throw Error("device '" + name +
                "' requested but this build has no CUDA (its LibTorch is CPU-only)");
#endif
  }
  throw Error("invalid device '" + name + "' (expected cpu, cuda or cuda:N)");
}

EmbeddingEngine::EmbeddingEngine(LoadedModel model, const EngineOptions& options)
    : loaded_(std::move(model)),
      device_(parse_device(options.device)),
      batch_size_(options.batch_size) {
  if (batch_size_ < 1) throw Error("batch size must be at least 1");
  if (options.threads < 0) throw Error("thread count must be >= 0");
  if (options.threads > 0) torch::set_num_threads(options.threads);
  loaded_.model->eval();
  loaded_.model->to(device_);
}

torch::Tensor EmbeddingEngine::embed_inputs(const torch::Tensor& inputs) {
  const auto& p = loaded_.preprocess;
  if (inputs.dim() != 4 || inputs.size(1) != 3 || inputs.size(2) != p.height ||
      inputs.size(3) != p.width)
    throw Error("model input must be [N, 3, " + std::to_string(p.height) + ", " +
                std::to_string(p.width) + "]");
  torch::InferenceMode inference;
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < inputs.size(0); start += batch_size_) {
    const auto batch =
        inputs.narrow(0, start, std::min<int64_t>(batch_size_, inputs.size(0) - start));
    parts.push_back(loaded_.model->embed(batch.to(device_)).to(torch::kCPU));
  }
  if (parts.empty()) return torch::empty({0, dim()});
  return torch::cat(parts);
}

torch::Tensor EmbeddingEngine::embed_images(const std::vector<cv::Mat>& rgb_images) {
  std::vector<torch::Tensor> inputs;
  inputs.reserve(rgb_images.size());
  for (const auto& image : rgb_images) inputs.push_back(rgb_to_input(image, loaded_.preprocess));
  if (inputs.empty()) return torch::empty({0, dim()});
  return embed_inputs(torch::stack(inputs));
}

}  // namespace hat
