#include "frame/crop.h"

#include <opencv2/imgproc.hpp>

#include "base/error.h"

namespace hat {

cv::Rect clip_box(const cv::Rect& box, int width, int height) {
  return box & cv::Rect(0, 0, width, height);
}

namespace {

cv::Mat plane(const FrameView& f, int index, int rows, int cols, int type) {
  return cv::Mat(rows, cols, type, const_cast<uint8_t*>(f.planes[index]),
                 static_cast<size_t>(f.strides[index]));
}

bool is_yuv420(PixelFormat format) {
  return format == PixelFormat::kI420 || format == PixelFormat::kNV12;
}

// I420 / NV12: repack the (even-aligned) region as one contiguous YUV buffer, convert.
cv::Mat yuv420_crop_to_rgb(const FrameView& f, const cv::Rect& r) {
  const int cw = (f.width + 1) / 2, ch = (f.height + 1) / 2;
  const cv::Rect cr(r.x / 2, r.y / 2, r.width / 2, r.height / 2);
  cv::Mat packed(r.height * 3 / 2, r.width, CV_8UC1);
  plane(f, 0, f.height, f.width, CV_8UC1)(r).copyTo(packed.rowRange(0, r.height));
  cv::Mat rgb;
  if (f.format == PixelFormat::kI420) {
    // U then V planes, each (w/2 x h/2), laid out as h/4 rows of w in the packed buffer.
    cv::Mat chroma = packed.rowRange(r.height, packed.rows);
    const int n = cr.width * cr.height;
    cv::Mat u = plane(f, 1, ch, cw, CV_8UC1)(cr).clone().reshape(1, 1);
    cv::Mat v = plane(f, 2, ch, cw, CV_8UC1)(cr).clone().reshape(1, 1);
    cv::Mat flat = chroma.reshape(1, 1);
    u.copyTo(flat.colRange(0, n));
    v.copyTo(flat.colRange(n, 2 * n));
    cv::cvtColor(packed, rgb, cv::COLOR_YUV2RGB_I420);
  } else {
    cv::Mat uv = plane(f, 1, ch, cw, CV_8UC2)(cr);
    cv::Mat chroma = packed.rowRange(r.height, packed.rows).reshape(2, cr.height);
    uv.copyTo(chroma);
    cv::cvtColor(packed, rgb, cv::COLOR_YUV2RGB_NV12);
  }
  return rgb;
}

}  // namespace

cv::Rect crop_region(const FrameView& f, const cv::Rect& box) {
  if (f.width <= 0 || f.height <= 0 || !f.planes[0]) throw Error("empty frame");
  cv::Rect r = clip_box(box, f.width, f.height);
  if (r.empty())
    throw Error("box (" + std::to_string(box.x) + "," + std::to_string(box.y) + " " +
                std::to_string(box.width) + "x" + std::to_string(box.height) +
                ") lies outside the " + std::to_string(f.width) + "x" + std::to_string(f.height) +
                " frame or is empty");
  if (is_yuv420(f.format)) {
    r.x &= ~1;
    r.y &= ~1;
    r.width = std::min((r.width + 1) & ~1, (f.width - r.x) & ~1);
    r.height = std::min((r.height + 1) & ~1, (f.height - r.y) & ~1);
    if (r.width <= 0 || r.height <= 0) throw Error("box is smaller than one 2x2 chroma block");
  }
  return r;
}

cv::Mat crop_to_rgb(const FrameView& f, const cv::Rect& box) {
  const cv::Rect r = crop_region(f, box);
  cv::Mat rgb;
  switch (f.format) {
    case PixelFormat::kRGB:
      plane(f, 0, f.height, f.width, CV_8UC3)(r).copyTo(rgb);
      break;
    case PixelFormat::kBGR:
      cv::cvtColor(plane(f, 0, f.height, f.width, CV_8UC3)(r), rgb, cv::COLOR_BGR2RGB);
      break;
    case PixelFormat::kRGBx:
      cv::cvtColor(plane(f, 0, f.height, f.width, CV_8UC4)(r), rgb, cv::COLOR_RGBA2RGB);
      break;
    case PixelFormat::kBGRx:
      cv::cvtColor(plane(f, 0, f.height, f.width, CV_8UC4)(r), rgb, cv::COLOR_BGRA2RGB);
      break;
    case PixelFormat::kGray8:
      cv::cvtColor(plane(f, 0, f.height, f.width, CV_8UC1)(r), rgb, cv::COLOR_GRAY2RGB);
      break;
    case PixelFormat::kI420:
    case PixelFormat::kNV12:
      rgb = yuv420_crop_to_rgb(f, r);
      break;
  }
  return rgb;
}

}  // namespace hat
