// Forward passes replayed from CUDA graphs: a graph per batch size, captured on first use, runs
// the whole network as one launch, so small batches no longer pay a launch per kernel.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include <torch/torch.h>

namespace hat {

class CudaGraphRunner {
 public:
  using Forward = std::function<torch::Tensor(const torch::Tensor&)>;

  // 1, 2, 4, ... below `max_batch`, then `max_batch` itself.
  static std::vector<int> batch_sizes_up_to(int max_batch);

  // Inputs are [N, sample_shape...] with N at most the largest size, of `options` (a CUDA
  // device). hat::Error in builds without the CUDA toolkit.
  CudaGraphRunner(std::vector<int> batch_sizes, std::vector<int64_t> sample_shape,
                  torch::TensorOptions options, bool channels_last);
  ~CudaGraphRunner();

  // forward(batch) through the graph of the smallest captured size >= N (captured from `forward`
  // on first use, after warm-up passes). The padding rows hold earlier inputs; in eval mode
  // every sample is computed independently, so they do not touch the N results.
  torch::Tensor run(const torch::Tensor& batch, const Forward& forward);

 private:
  struct Graph;
  std::unique_ptr<Graph> capture(int size, const Forward& forward);

  std::vector<int> sizes_;
  std::vector<int64_t> sample_shape_;
  torch::TensorOptions options_;
  bool channels_last_;
  std::map<int, std::unique_ptr<Graph>> graphs_;
};

}  // namespace hat
