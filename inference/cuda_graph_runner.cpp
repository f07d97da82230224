#include "inference/cuda_graph_runner.h"

#include <algorithm>

#include "base/error.h"

#ifdef HAT_WITH_CUDA_KERNELS
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace hat {

#ifdef HAT_WITH_CUDA_KERNELS
struct CudaGraphRunner::Graph {
  at::cuda::CUDAGraph graph;
  torch::Tensor input, output;
};
#else
struct CudaGraphRunner::Graph {};
#endif

std::vector<int> CudaGraphRunner::batch_sizes_up_to(int max_batch) {
  std::vector<int> sizes;
  for (int s = 1; s < max_batch; s *= 2) sizes.push_back(s);
  sizes.push_back(max_batch);
  return sizes;
}

CudaGraphRunner::CudaGraphRunner(std::vector<int> batch_sizes, std::vector<int64_t> sample_shape,
                                 torch::TensorOptions options, bool channels_last)
    : sizes_(std::move(batch_sizes)),
      sample_shape_(std::move(sample_shape)),
      options_(options),
      channels_last_(channels_last) {
#ifndef HAT_WITH_CUDA_KERNELS
  throw Error("CUDA graphs are not in this build (it was built without the CUDA toolkit)");
#endif
  if (!options_.device().is_cuda()) throw Error("CUDA graphs need a CUDA device");
  if (sizes_.empty()) throw Error("CUDA graphs need at least one batch size");
  std::sort(sizes_.begin(), sizes_.end());
}

CudaGraphRunner::~CudaGraphRunner() = default;

#ifdef HAT_WITH_CUDA_KERNELS
std::unique_ptr<CudaGraphRunner::Graph> CudaGraphRunner::capture(int size, const Forward& forward) {
  auto g = std::make_unique<Graph>();
  std::vector<int64_t> shape{size};
  shape.insert(shape.end(), sample_shape_.begin(), sample_shape_.end());
  g->input = torch::zeros(shape, options_);
  if (channels_last_) g->input = g->input.contiguous(torch::MemoryFormat::ChannelsLast);
  // Capture runs on a side stream (the default stream cannot be captured). The warm-up passes
  // there let cuDNN pick its algorithms and the allocator its blocks outside the capture.
  auto side = c10::cuda::getStreamFromPool();
  c10::cuda::getCurrentCUDAStream().synchronize();
  const c10::cuda::CUDAStreamGuard stream_guard(side);
  for (int i = 0; i < 3; ++i) (void)forward(g->input);
  side.synchronize();
  // Thread-local capture mode: other threads (hatembed's streaming threads) may keep launching
  // work while this one captures.
  g->graph.capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
  g->output = forward(g->input);
  g->graph.capture_end();
  side.synchronize();
  return g;
}
#endif

torch::Tensor CudaGraphRunner::run(const torch::Tensor& batch, const Forward& forward) {
#ifdef HAT_WITH_CUDA_KERNELS
  const int n = static_cast<int>(batch.size(0));
  const auto fits = std::lower_bound(sizes_.begin(), sizes_.end(), n);
  if (fits == sizes_.end())
    throw Error("batch of " + std::to_string(n) + " exceeds the largest CUDA graph (" +
                std::to_string(sizes_.back()) + ")");
  auto& slot = graphs_[*fits];
  const c10::cuda::CUDAGuard device_guard(options_.device());
  if (!slot) {
    try {
      slot = capture(*fits, forward);
    } catch (const std::exception& e) {
      graphs_.erase(*fits);
      throw Error("CUDA graph capture for batch " + std::to_string(*fits) + " failed: " + e.what());
    }
  }
  slot->input.narrow(0, 0, n).copy_(batch);
  slot->graph.replay();  // on the current stream, after the copy
  return slot->output.narrow(0, 0, n).clone();
#else
  (void)batch;
  (void)forward;
  throw Error("CUDA graphs are not in this build");
#endif
}

}  // namespace hat
