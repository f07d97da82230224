#include "frame/frame_view.h"

namespace hat {

FrameView FrameView::from_bgr(const cv::Mat& bgr) {
  FrameView f;
  f.format = bgr.channels() == 1 ? PixelFormat::kGray8 : PixelFormat::kBGR;
  f.width = bgr.cols;
  f.height = bgr.rows;
  f.planes[0] = bgr.data;
  f.strides[0] = static_cast<int>(bgr.step[0]);
  return f;
}

std::vector<PlaneShape> plane_layout(PixelFormat format, int width, int height) {
  const int cw = (width + 1) / 2, ch = (height + 1) / 2;
  switch (format) {
    case PixelFormat::kRGB:
    case PixelFormat::kBGR:
      return {{3 * width, height}};
    case PixelFormat::kRGBx:
    case PixelFormat::kBGRx:
      return {{4 * width, height}};
    case PixelFormat::kGray8:
      return {{width, height}};
    case PixelFormat::kI420:
      return {{width, height}, {cw, ch}, {cw, ch}};
    case PixelFormat::kNV12:
      return {{width, height}, {2 * cw, ch}};
  }
  return {};
}

}  // namespace hat
