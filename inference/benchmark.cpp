#include "inference/benchmark.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>

#include "model/flops.h"

namespace hat {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void synchronize(const torch::Device& device, const torch::Tensor& t) {
  // A copy to the host waits for all queued device work.
  if (device.is_cuda()) (void)t.sum().item<double>();
}

}  // namespace

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // KiB on Linux
}

double measure_gemm_gflops(const torch::Device& device, torch::ScalarType dtype, int n,
                           double seconds) {
  torch::InferenceMode guard;
  const auto opts = torch::TensorOptions().device(device).dtype(dtype);
  const auto a = torch::randn({n, n}, opts), b = torch::randn({n, n}, opts);
  auto c = torch::mm(a, b);  // warm-up
  synchronize(device, c);
  double best = 0;
  const auto start = Clock::now();
  do {
    const auto t = Clock::now();
    const int reps = device.is_cuda() ? 20 : 1;
    for (int r = 0; r < reps; ++r) torch::mm_out(c, a, b);
    synchronize(device, c);
    best = std::max(best, reps * 2.0 * n * n * static_cast<double>(n) / seconds_since(t) / 1e9);
  } while (seconds_since(start) < seconds);
  return best;
}

BenchResult benchmark_engine(EmbeddingEngine& engine, int batch, int warmup, int iterations,
                             double min_seconds) {
  const auto& p = engine.preprocess();
  const auto inputs =
      torch::randn({batch, 3, p.height, p.width}, torch::TensorOptions().device(engine.device()));
  for (int i = 0; i < warmup; ++i) (void)engine.embed_inputs(inputs);
  std::vector<double> latencies;
  const auto start = Clock::now();
  while (static_cast<int>(latencies.size()) < iterations || seconds_since(start) < min_seconds) {
    const auto t = Clock::now();
    (void)engine.embed_inputs(inputs);  // returns host memory, so device work has finished
    latencies.push_back(seconds_since(t));
  }
  const double total = seconds_since(start);
  BenchResult r;
  r.batch = batch;
  r.iterations = static_cast<int>(latencies.size());
  r.crops_per_second = batch * latencies.size() / total;
  std::sort(latencies.begin(), latencies.end());
  r.latency_ms_mean = 1e3 * total / latencies.size();
  r.latency_ms_p50 = 1e3 * latencies[latencies.size() / 2];
  r.latency_ms_p90 = 1e3 * latencies[std::min(latencies.size() - 1, latencies.size() * 9 / 10)];
  HatConfig counted = engine.config();
  counted.num_classes = 0;  // the classifiers do not run at inference
  r.gflop_per_crop = count_flops(counted).total() / 1e9;
  r.achieved_gflops = r.gflop_per_crop * r.crops_per_second;
  const bool cuda = engine.device().is_cuda();
  const int n = cuda ? 8192 : 2048;  // large enough to reach the device's peak
  r.gemm_gflops = measure_gemm_gflops(engine.device(), torch::kFloat32, n, 3.0);
  r.gemm_fraction = r.achieved_gflops / r.gemm_gflops;
  if (cuda) {
    r.bf16_gemm_gflops = measure_gemm_gflops(engine.device(), torch::kBFloat16, n, 3.0);
    r.bf16_gemm_fraction = r.achieved_gflops / r.bf16_gemm_gflops;
  }
  r.precision = engine.options().precision;
  r.peak_memory_mib = peak_rss_mib();
  return r;
}

nlohmann::json to_json(const BenchResult& r) {
  return {{"batch", r.batch},
          {"iterations", r.iterations},
          {"crops_per_second", r.crops_per_second},
          {"latency_ms",
           {{"mean", r.latency_ms_mean}, {"p50", r.latency_ms_p50}, {"p90", r.latency_ms_p90}}},
          {"gflop_per_crop", r.gflop_per_crop},
          {"achieved_gflops", r.achieved_gflops},
          {"gemm_gflops", r.gemm_gflops},
          {"gemm_fraction", r.gemm_fraction},
          {"bf16_gemm_gflops", r.bf16_gemm_gflops},
          {"bf16_gemm_fraction", r.bf16_gemm_fraction},
          {"precision", r.precision},
          {"peak_memory_mib", r.peak_memory_mib}};
}

}  // namespace hat
