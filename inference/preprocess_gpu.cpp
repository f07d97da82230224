// The preprocessing on a device: the CUDA kernel's host side (upload, launch) and the fallback
// that moves the CPU result. The crops themselves come from crop_region in both paths.
#include <cstring>

#include "base/error.h"
#include "frame/frame_view.h"
#include "inference/preprocess.h"
#include "inference/preprocess_kernel.h"

#ifdef HAT_WITH_CUDA_KERNELS
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace hat {

// The kernel reads the format as an integer: its enum must follow PixelFormat value for value.
static_assert(kernel::kRGB == static_cast<int>(PixelFormat::kRGB) &&
                  kernel::kBGR == static_cast<int>(PixelFormat::kBGR) &&
                  kernel::kRGBx == static_cast<int>(PixelFormat::kRGBx) &&
                  kernel::kBGRx == static_cast<int>(PixelFormat::kBGRx) &&
                  kernel::kI420 == static_cast<int>(PixelFormat::kI420) &&
                  kernel::kNV12 == static_cast<int>(PixelFormat::kNV12) &&
                  kernel::kGray8 == static_cast<int>(PixelFormat::kGray8),
              "kernel::Format and hat::PixelFormat differ");

bool gpu_preprocessing_built() {
#ifdef HAT_WITH_CUDA_KERNELS
  return true;
#else
  return false;
#endif
}

#ifdef HAT_WITH_CUDA_KERNELS
namespace {

int64_t align16(int64_t n) { return (n + 15) & ~int64_t{15}; }

torch::Tensor preprocess_boxes_cuda(const FrameView& frame, const std::vector<cv::Rect>& boxes,
                                    const PreprocessConfig& config, const torch::Device& device) {
  std::vector<kernel::Box> regions;
  regions.reserve(boxes.size());
  for (const auto& box : boxes) {
    const cv::Rect r = crop_region(frame, box);
    regions.push_back({r.x, r.y, r.width, r.height});
  }
  const auto float_on_device = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  if (regions.empty()) return torch::empty({0, 3, config.height, config.width}, float_on_device);

  // One pinned staging buffer (planes, then boxes) and one asynchronous upload: the frame's
  // memory may be reused by the caller as soon as this function returns.
  const auto layout = plane_layout(frame.format, frame.width, frame.height);
  const int planes = static_cast<int>(layout.size());
  std::array<int64_t, 3> offset{}, size{};
  int64_t total = 0;
  for (int p = 0; p < planes; ++p) {
    offset[p] = total;
    size[p] = static_cast<int64_t>(layout[p].rows - 1) * frame.strides[p] + layout[p].row_bytes;
    total = align16(total + size[p]);
  }
  const int64_t boxes_at = total;
  total += static_cast<int64_t>(regions.size() * sizeof(kernel::Box));

  const auto staging =
      torch::empty({total}, torch::TensorOptions().dtype(torch::kUInt8).pinned_memory(true));
  auto* host = staging.data_ptr<uint8_t>();
  for (int p = 0; p < planes; ++p) std::memcpy(host + offset[p], frame.planes[p], size[p]);
  std::memcpy(host + boxes_at, regions.data(), regions.size() * sizeof(kernel::Box));

  const c10::cuda::CUDAGuard guard(device);
  const auto uploaded = staging.to(device, /*non_blocking=*/true);
  const uint8_t* base = uploaded.data_ptr<uint8_t>();

  kernel::Frame f;
  f.format = static_cast<int32_t>(frame.format);
  f.width = frame.width;
  f.height = frame.height;
  for (int p = 0; p < planes; ++p) {
    f.planes[p] = base + offset[p];
    f.strides[p] = frame.strides[p];
  }
  auto output = torch::empty({static_cast<int64_t>(regions.size()), 3, config.height, config.width},
                             float_on_device);
  kernel::Output o;
  o.data = output.data_ptr<float>();
  o.height = config.height;
  o.width = config.width;
  for (int c = 0; c < 3; ++c) {
    o.mean[c] = config.mean[c];
    o.std[c] = config.std[c];
  }
  const char* failure = kernel::launch_preprocess(
      f, reinterpret_cast<const kernel::Box*>(base + boxes_at), static_cast<int>(regions.size()), o,
      c10::cuda::getCurrentCUDAStream(device.index()).stream());
  if (failure) throw Error(std::string("GPU preprocessing kernel failed: ") + failure);
  return output;
}

}  // namespace
#endif

torch::Tensor preprocess_boxes(const FrameView& frame, const std::vector<cv::Rect>& boxes,
                               const PreprocessConfig& config, const torch::Device& device) {
#ifdef HAT_WITH_CUDA_KERNELS
  if (device.is_cuda()) return preprocess_boxes_cuda(frame, boxes, config, device);
#endif
  return preprocess_boxes(frame, boxes, config).to(device);
}

}  // namespace hat
