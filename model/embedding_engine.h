// Batched inference: the one place where crops become embeddings (eval mode, no autograd).
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>
#include <opencv2/core.hpp>

#include "model/model_loader.h"
#include "model/preprocess.h"

namespace hat {

struct EngineOptions {
  std::string device = "cpu";  // "cpu", "cuda" or "cuda:N" (builds with CUDA)
  int threads = 0;             // intra-op threads; 0 keeps LibTorch's default
  int batch_size = 32;         // crops per forward pass
};

// "cpu" / "cuda[:N]" as a torch::Device; hat::Error when the device is unknown, this build has
// no CUDA, or no such GPU is present.
torch::Device parse_device(const std::string& name);

class EmbeddingEngine {
 public:
  EmbeddingEngine(LoadedModel model, const EngineOptions& options);

  // Preprocessed inputs [N, 3, H, W] -> embeddings [N, D] (float32, on the CPU).
  torch::Tensor embed_inputs(const torch::Tensor& inputs);
  // RGB images of any size, through the shared preprocessing.
  torch::Tensor embed_images(const std::vector<cv::Mat>& rgb_images);

  int dim() const { return loaded_.model->config().embedding_dim(); }
  const HatConfig& config() const { return loaded_.model->config(); }
  const PreprocessConfig& preprocess() const { return loaded_.preprocess; }
  const LoadedModel& model() const { return loaded_; }
  const torch::Device& device() const { return device_; }

 private:
  LoadedModel loaded_;
  torch::Device device_;
  int batch_size_;
};

}  // namespace hat
