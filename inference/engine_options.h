// How the embedding engine runs: device, threads, batch size, precision and layout. Plain data,
// free of LibTorch, so that settings (tool options, element properties) can carry it without the
// engine's headers; inference/embedding_engine validates it.
#pragma once

#include <string>

namespace hat {

struct EngineOptions {
  std::string device = "cpu";  // "cpu", "cuda" or "cuda:N" (builds with CUDA)
  int threads = 0;             // intra-op threads; 0 keeps LibTorch's default
  int batch_size = 32;         // crops per forward pass
  // "fp32", or "bf16"/"fp16": autocast runs convolutions and matrix products in that type (the
  // weights stay float32; embeddings are returned as float32).
  std::string precision = "fp32";
  bool channels_last = false;  // NHWC weights and activations (tensor-core convolutions)
  // CUDA only: replay each forward pass from a CUDA graph captured for its batch size (powers of
  // two up to batch_size, and batch_size; a batch is padded up to the next captured size).
  bool cuda_graphs = false;
};

}  // namespace hat
