#include "inference/embedding_engine.h"

#include <torch/cuda.h>

#include "base/error.h"
#include "inference/autocast_scope.h"
#include "inference/channels_last.h"
#include "inference/cuda_graph_runner.h"

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
      options_(options),
      device_(parse_device(options.device)),
      precision_(parse_precision(options.precision)) {
  if (options_.batch_size < 1) throw Error("batch size must be at least 1");
  if (options_.threads < 0) throw Error("thread count must be >= 0");
  if (options_.cuda_graphs && !device_.is_cuda())
    throw Error("CUDA graphs need a CUDA device (device is '" + options_.device + "')");
  if (options_.threads > 0) torch::set_num_threads(options_.threads);
  loaded_.model->eval();
  loaded_.model->to(device_);
  if (options_.channels_last) convert_to_channels_last(*loaded_.model);
  if (options_.cuda_graphs) {
    const auto& p = loaded_.preprocess;
    graphs_ = std::make_unique<CudaGraphRunner>(
        CudaGraphRunner::batch_sizes_up_to(options_.batch_size),
        std::vector<int64_t>{3, p.height, p.width},
        torch::TensorOptions().dtype(torch::kFloat32).device(device_), options_.channels_last);
  }
}

EmbeddingEngine::~EmbeddingEngine() = default;

torch::Tensor EmbeddingEngine::forward(const torch::Tensor& batch) {
  // Graph capture must not keep casts in autocast's cache: the cache is emptied when the scope
  // ends, while the graph would go on reading them.
  AutocastScope autocast(precision_ != torch::kFloat32, device_.type(), precision_,
                         /*cache_casts=*/!options_.cuda_graphs);
  return loaded_.model->embed(batch).to(torch::kFloat32);
}

torch::Tensor EmbeddingEngine::embed_inputs(const torch::Tensor& inputs) {
  const auto& p = loaded_.preprocess;
  if (inputs.dim() != 4 || inputs.size(1) != 3 || inputs.size(2) != p.height ||
      inputs.size(3) != p.width)
    throw Error("model input must be [N, 3, " + std::to_string(p.height) + ", " +
                std::to_string(p.width) + "]");
  torch::InferenceMode inference;
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < inputs.size(0); start += options_.batch_size) {
    auto batch =
        inputs.narrow(0, start, std::min<int64_t>(options_.batch_size, inputs.size(0) - start))
            .to(device_, torch::kFloat32);
    if (options_.channels_last) batch = batch.contiguous(torch::MemoryFormat::ChannelsLast);
    parts.push_back(
        (graphs_ ? graphs_->run(batch, [this](const torch::Tensor& x) { return forward(x); })
                 : forward(batch))
            .to(torch::kCPU));
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
