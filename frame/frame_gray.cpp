#include "frame/frame_gray.h"

#include <opencv2/imgproc.hpp>

namespace hat {

cv::Mat frame_gray(const FrameView& frame) {
  auto plane0 = [&](int type) {
    return cv::Mat(frame.height, frame.width, type, const_cast<uint8_t*>(frame.planes[0]),
                   static_cast<size_t>(frame.strides[0]));
  };
  cv::Mat gray;
  switch (frame.format) {
    case PixelFormat::kI420:
    case PixelFormat::kNV12:
    case PixelFormat::kGray8:
      return plane0(CV_8UC1);
    case PixelFormat::kRGB:
      cv::cvtColor(plane0(CV_8UC3), gray, cv::COLOR_RGB2GRAY);
      break;
    case PixelFormat::kBGR:
      cv::cvtColor(plane0(CV_8UC3), gray, cv::COLOR_BGR2GRAY);
      break;
    case PixelFormat::kRGBx:
      cv::cvtColor(plane0(CV_8UC4), gray, cv::COLOR_RGBA2GRAY);
      break;
    case PixelFormat::kBGRx:
      cv::cvtColor(plane0(CV_8UC4), gray, cv::COLOR_BGRA2GRAY);
      break;
  }
  return gray;
}

}  // namespace hat
