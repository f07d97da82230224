// One launch preprocesses every crop of a frame: thread (i, n) writes output pixel i of crop n,
// all three channels, with the arithmetic shared with the host (preprocess_kernel.h).
#include <cuda_runtime.h>

#include <algorithm>

#include "inference/preprocess_kernel.h"

namespace hat::kernel {
namespace {

constexpr int kThreads = 256;
constexpr int kMaxGridY = 65535;  // crops per launch; more are split over launches

__global__ void preprocess_crops(Frame frame, const Box* boxes, int first, Output out) {
  const int pixel = blockIdx.x * blockDim.x + threadIdx.x;
  if (pixel >= out.height * out.width) return;
  const int n = first + static_cast<int>(blockIdx.y);
  preprocess_pixel(frame, boxes[n], out, n, pixel / out.width, pixel % out.width);
}

}  // namespace

const char* launch_preprocess(const Frame& frame, const Box* device_boxes, int count,
                              const Output& out, void* stream) {
  const int pixels = out.height * out.width;
  const unsigned blocks = static_cast<unsigned>((pixels + kThreads - 1) / kThreads);
  for (int first = 0; first < count; first += kMaxGridY) {
    const unsigned crops = static_cast<unsigned>(std::min(kMaxGridY, count - first));
    preprocess_crops<<<dim3(blocks, crops), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
        frame, device_boxes, first, out);
    const cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess) return cudaGetErrorString(err);
  }
  return nullptr;
}

}  // namespace hat::kernel
