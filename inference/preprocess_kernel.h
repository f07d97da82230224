// The per-pixel arithmetic of the GPU preprocessing, written once for nvcc and the host compiler:
// the CUDA kernel (preprocess_kernel.cu) runs it on the device, and the tests run the very same
// functions on the host against the CPU preprocessing (inference/preprocess.cpp). It depends on
// nothing but <cstdint> so that nvcc never has to parse LibTorch or OpenCV.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define HAT_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define HAT_HOST_DEVICE inline
#endif

namespace hat::kernel {

// The same order as hat::PixelFormat (frame/frame_view.h); inference/preprocess_gpu.cpp checks it.
enum Format : int32_t { kRGB = 0, kBGR, kRGBx, kBGRx, kI420, kNV12, kGray8 };

// A frame whose planes the kernel can read (device memory on the GPU).
struct Frame {
  int32_t format = kRGB;
  int32_t width = 0;
  int32_t height = 0;
  const uint8_t* planes[3] = {nullptr, nullptr, nullptr};
  int32_t strides[3] = {0, 0, 0};
};

// The region of the frame a crop covers: clipped to the frame and, for I420/NV12, on even
// coordinates (hat::crop_region computes it for both paths).
struct Box {
  int32_t x = 0, y = 0, width = 0, height = 0;
};

// The model input being written: [N, 3, height, width] float32, contiguous.
struct Output {
  float* data = nullptr;
  int32_t height = 0;
  int32_t width = 0;
  float mean[3] = {0, 0, 0};
  float std[3] = {1, 1, 1};
};

HAT_HOST_DEVICE uint8_t saturate_u8(int v) {
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// BT.601 video-range YUV -> RGB in the 20-bit fixed point of OpenCV's COLOR_YUV2RGB_NV12/_I420,
// which the CPU path uses: matching it to the bit keeps GPU and CPU inputs identical (one 8-bit
// step is 0.017 after normalisation, far over the 1e-3 the two paths must agree within).
HAT_HOST_DEVICE void yuv_to_rgb(int y, int u, int v, uint8_t rgb[3]) {
  constexpr int kShift = 20;
  constexpr int kRound = 1 << (kShift - 1);
  constexpr int kCy = 1220542;   // 1.164 * 2^20
  constexpr int kCvr = 1673527;  // 1.596 * 2^20
  constexpr int kCvg = -852492;  // -0.813 * 2^20
  constexpr int kCug = -409993;  // -0.391 * 2^20
  constexpr int kCub = 2116026;  // 2.018 * 2^20
  const int yy = (y > 16 ? y - 16 : 0) * kCy;
  const int uu = u - 128, vv = v - 128;
  rgb[0] = saturate_u8((yy + kRound + kCvr * vv) >> kShift);
  rgb[1] = saturate_u8((yy + kRound + kCvg * vv + kCug * uu) >> kShift);
  rgb[2] = saturate_u8((yy + kRound + kCub * uu) >> kShift);
}

// Pixel (x, y) of the frame as 8-bit RGB.
HAT_HOST_DEVICE void fetch_rgb(const Frame& f, int x, int y, uint8_t rgb[3]) {
  const uint8_t* row = f.planes[0] + static_cast<int64_t>(y) * f.strides[0];
  switch (f.format) {
    case kRGB:
    case kBGR:
    case kRGBx:
    case kBGRx: {
      const uint8_t* px = row + (f.format == kRGB || f.format == kBGR ? 3 : 4) * x;
      const bool blue_first = f.format == kBGR || f.format == kBGRx;
      rgb[0] = px[blue_first ? 2 : 0], rgb[1] = px[1], rgb[2] = px[blue_first ? 0 : 2];
      return;
    }
    case kGray8:
      rgb[0] = rgb[1] = rgb[2] = row[x];
      return;
    case kI420: {
      const int64_t cy = y / 2;
      const uint8_t u = f.planes[1][cy * f.strides[1] + x / 2];
      const uint8_t v = f.planes[2][cy * f.strides[2] + x / 2];
      yuv_to_rgb(row[x], u, v, rgb);
      return;
    }
    case kNV12:
    default: {
      const uint8_t* uv = f.planes[1] + static_cast<int64_t>(y / 2) * f.strides[1] + (x / 2) * 2;
      yuv_to_rgb(row[x], uv[0], uv[1], rgb);
      return;
    }
  }
}

// Where output index `dst` samples an axis of `in_size` pixels resized to `out_size`: LibTorch's
// bilinear rule without corner alignment (half-pixel centres, clamped at 0), as the CPU path's
// torch interpolate applies it. The sample mixes i0 and i1 with weight w1 on i1.
HAT_HOST_DEVICE void source_index(int dst, int in_size, int out_size, int* i0, int* i1, float* w1) {
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  float src = scale * (static_cast<float>(dst) + 0.5f) - 0.5f;
  if (src < 0.0f) src = 0.0f;
  int lo = static_cast<int>(src);
  if (lo > in_size - 1) lo = in_size - 1;
  float w = src - static_cast<float>(lo);
  w = w < 0.0f ? 0.0f : (w > 1.0f ? 1.0f : w);
  *i0 = lo;
  *i1 = lo < in_size - 1 ? lo + 1 : lo;
  *w1 = w;
}

// Output pixel (ox, oy) of crop n, all three channels: bilinear sample of the crop's RGB values,
// then /255 and the mean/std normalisation, in the CPU path's order of operations.
HAT_HOST_DEVICE void preprocess_pixel(const Frame& f, const Box& b, const Output& o, int n, int oy,
                                      int ox) {
  int y0, y1, x0, x1;
  float wy, wx;
  source_index(oy, b.height, o.height, &y0, &y1, &wy);
  source_index(ox, b.width, o.width, &x0, &x1, &wx);
  uint8_t p00[3], p01[3], p10[3], p11[3];
  fetch_rgb(f, b.x + x0, b.y + y0, p00);
  fetch_rgb(f, b.x + x1, b.y + y0, p01);
  fetch_rgb(f, b.x + x0, b.y + y1, p10);
  fetch_rgb(f, b.x + x1, b.y + y1, p11);
  const int64_t plane = static_cast<int64_t>(o.height) * o.width;
  float* out =
      o.data + static_cast<int64_t>(n) * 3 * plane + static_cast<int64_t>(oy) * o.width + ox;
  for (int c = 0; c < 3; ++c) {
    const float top = (1.0f - wx) * p00[c] + wx * p01[c];
    const float bottom = (1.0f - wx) * p10[c] + wx * p11[c];
    const float v = (1.0f - wy) * top + wy * bottom;
    out[c * plane] = (v / 255.0f - o.mean[c]) / o.std[c];
  }
}

}  // namespace hat::kernel

namespace hat::kernel {

// Queues the kernel for `count` crops on a cudaStream_t (builds with CUDA kernels only). Frame
// planes, boxes and output are device memory. Returns nullptr, or CUDA's message on failure.
const char* launch_preprocess(const Frame& frame, const Box* device_boxes, int count,
                              const Output& out, void* stream);

}  // namespace hat::kernel
