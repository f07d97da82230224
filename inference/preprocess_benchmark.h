// Throughput of the preprocessing of whole frames (crops -> model input), the CPU path against
// the device path in the same run: what hatembed spends per frame before the forward pass.
#pragma once

#include <string>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "inference/preprocess.h"

namespace hat {

struct PreprocessBenchOptions {
  PixelFormat format = PixelFormat::kNV12;
  int width = 1920;
  int height = 1080;
  int boxes = 16;        // person-sized boxes per frame
  double seconds = 3.0;  // per path
};

struct PreprocessBenchResult {
  double cpu_frames_per_second = 0;
  double device_frames_per_second = 0;  // 0 when the device is the CPU
  int boxes = 0;
  std::string device;
  bool gpu_kernel = false;  // the device path ran the CUDA kernel
};

// Random frame content, random boxes (fixed seed); the device path waits for the device after
// every frame, as hatembed's forward pass would.
PreprocessBenchResult benchmark_preprocessing(const PreprocessConfig& config,
                                              const PreprocessBenchOptions& options,
                                              const torch::Device& device);

PixelFormat parse_pixel_format(const std::string& name);  // "NV12", "I420", "RGB", ...

nlohmann::json to_json(const PreprocessBenchResult& result);

}  // namespace hat
