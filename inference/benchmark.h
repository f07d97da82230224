// Throughput measurement of the embedding engine, against the machine's own GEMM rate measured
// in the same run (a ratio survives noisy, shared machines better than an absolute time).
#pragma once

#include <string>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "inference/embedding_engine.h"

namespace hat {

// Best sustained rate of an n x n x n matrix product in GFLOP/s, over about `seconds`.
double measure_gemm_gflops(const torch::Device& device, torch::ScalarType dtype, int n,
                           double seconds);

struct BenchResult {
  int batch = 0;
  int iterations = 0;
  double crops_per_second = 0;
  double latency_ms_mean = 0, latency_ms_p50 = 0, latency_ms_p90 = 0;
  double gflop_per_crop = 0;
  double achieved_gflops = 0;
  double gemm_gflops = 0;    // fp32 matrix product rate (2048^3 on CPU, 8192^3 on CUDA)
  double gemm_fraction = 0;  // achieved / gemm_gflops
  // CUDA only (0 elsewhere): the bf16 matrix product rate, the tensor cores' ceiling, and the
  // achieved rate as a fraction of it (the matmul-bound fraction, whatever the precision).
  double bf16_gemm_gflops = 0;
  double bf16_gemm_fraction = 0;
  std::string precision = "fp32";
  double peak_memory_mib = 0;  // peak resident set of the process (host)
};

// Times embed_inputs on random inputs already on the engine's device (uploads are the
// preprocessing's cost, not the model's): `warmup` untimed batches, then at least `iterations`
// batches and `min_seconds`.
BenchResult benchmark_engine(EmbeddingEngine& engine, int batch, int warmup, int iterations,
                             double min_seconds);

nlohmann::json to_json(const BenchResult& result);

// Peak resident memory of this process so far, in MiB.
double peak_rss_mib();

}  // namespace hat
