#include "inference/preprocess_benchmark.h"

#include <chrono>
#include <random>

#include <torch/cuda.h>

#include "base/error.h"

namespace hat {

namespace {

using Clock = std::chrono::steady_clock;

template <typename Run>
double frames_per_second(double seconds, Run run) {
  run();  // warm-up: first launch, allocator, thread pools
  int frames = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    run();
    ++frames;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return frames / elapsed;
}

}  // namespace

PixelFormat parse_pixel_format(const std::string& name) {
  static const std::vector<std::pair<std::string, PixelFormat>> names = {
      {"RGB", PixelFormat::kRGB},    {"BGR", PixelFormat::kBGR},   {"RGBx", PixelFormat::kRGBx},
      {"BGRx", PixelFormat::kBGRx},  {"I420", PixelFormat::kI420}, {"NV12", PixelFormat::kNV12},
      {"GRAY8", PixelFormat::kGray8}};
  for (const auto& [n, f] : names)
    if (n == name) return f;
  throw Error("invalid pixel format '" + name +
              "' (expected RGB, BGR, RGBx, BGRx, I420, NV12 or GRAY8)");
}

PreprocessBenchResult benchmark_preprocessing(const PreprocessConfig& config,
                                              const PreprocessBenchOptions& o,
                                              const torch::Device& device) {
  if (o.width < 2 || o.height < 2 || o.boxes < 1)
    throw Error("frame and box count must be positive");
  std::mt19937 rng(1);
  std::vector<std::vector<uint8_t>> planes;
  FrameView frame;
  frame.format = o.format;
  frame.width = o.width;
  frame.height = o.height;
  for (const auto& shape : plane_layout(o.format, o.width, o.height)) {
    planes.emplace_back(static_cast<size_t>(shape.row_bytes) * shape.rows);
    for (auto& b : planes.back()) b = static_cast<uint8_t>(rng());
    frame.planes[planes.size() - 1] = planes.back().data();
    frame.strides[planes.size() - 1] = shape.row_bytes;
  }
  // People-shaped boxes, 1/8 to 1/2 of the frame's height, 2.5:1.
  std::vector<cv::Rect> boxes;
  for (int i = 0; i < o.boxes; ++i) {
    const int h =
        std::max(2, o.height / 8 + static_cast<int>(rng() % std::max(1, o.height * 3 / 8)));
    const int w = std::max(2, h * 2 / 5);
    boxes.emplace_back(static_cast<int>(rng() % std::max(1, o.width - w)),
                       static_cast<int>(rng() % std::max(1, o.height - h)), w, h);
  }
  PreprocessBenchResult r;
  r.boxes = o.boxes;
  r.device = device.str();
  r.cpu_frames_per_second =
      frames_per_second(o.seconds, [&] { (void)preprocess_boxes(frame, boxes, config); });
  if (!device.is_cpu()) {
    r.gpu_kernel = device.is_cuda() && gpu_preprocessing_built();
    r.device_frames_per_second = frames_per_second(o.seconds, [&] {
      (void)preprocess_boxes(frame, boxes, config, device);
      if (device.is_cuda()) torch::cuda::synchronize(device.index());
    });
  }
  return r;
}

nlohmann::json to_json(const PreprocessBenchResult& r) {
  return {{"boxes", r.boxes},
          {"device", r.device},
          {"gpu_kernel", r.gpu_kernel},
          {"cpu_frames_per_second", r.cpu_frames_per_second},
          {"cpu_crops_per_second", r.cpu_frames_per_second * r.boxes},
          {"device_frames_per_second", r.device_frames_per_second},
          {"device_crops_per_second", r.device_frames_per_second * r.boxes}};
}

}  // namespace hat
