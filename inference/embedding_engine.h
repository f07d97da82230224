// Batched inference: the one place where crops become embeddings (eval mode, no autograd).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <opencv2/core.hpp>

#include "inference/engine_options.h"
#include "inference/preprocess.h"
#include "model/model_loader.h"

namespace hat {

// "cpu" / "cuda[:N]" as a torch::Device; hat::Error when the device is unknown, this build has
// no CUDA, or no such GPU is present.
torch::Device parse_device(const std::string& name);

class CudaGraphRunner;

class EmbeddingEngine {
 public:
  EmbeddingEngine(LoadedModel model, const EngineOptions& options);
  ~EmbeddingEngine();

  // Preprocessed inputs [N, 3, H, W] -> embeddings [N, D] (float32, on the CPU).
  torch::Tensor embed_inputs(const torch::Tensor& inputs);
  // RGB images of any size, through the shared preprocessing.
  torch::Tensor embed_images(const std::vector<cv::Mat>& rgb_images);

  int dim() const { return loaded_.model->config().embedding_dim(); }
  const HatConfig& config() const { return loaded_.model->config(); }
  const PreprocessConfig& preprocess() const { return loaded_.preprocess; }
  const LoadedModel& model() const { return loaded_; }
  const torch::Device& device() const { return device_; }
  const EngineOptions& options() const { return options_; }

 private:
  torch::Tensor forward(const torch::Tensor& batch);

  LoadedModel loaded_;
  EngineOptions options_;
  torch::Device device_;
  torch::ScalarType precision_;
  std::unique_ptr<CudaGraphRunner> graphs_;
};

}  // namespace hat
