#include "gst-plugin/overlay_painter.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace hat::gst {
namespace {

cv::Mat plane(const FrameView& f, int index, int rows, int cols, int type) {
  return cv::Mat(rows, cols, type, const_cast<uint8_t*>(f.planes[static_cast<size_t>(index)]),
                 static_cast<size_t>(f.strides[static_cast<size_t>(index)]));
}

// BT.601 limited range, the matrix GStreamer assumes for SD YUV.
cv::Scalar rgb_to_yuv(const cv::Scalar& c) {
  const double r = c[0], g = c[1], b = c[2];
  return cv::Scalar(16 + 0.257 * r + 0.504 * g + 0.098 * b, 128 - 0.148 * r - 0.291 * g + 0.439 * b,
                    128 + 0.439 * r - 0.368 * g - 0.071 * b);
}

// Draws on one image whose pixels are `colour`; `s` scales geometry (1 for luma, 1/2 for chroma).
void draw(cv::Mat& img, const OverlayItem& item, const cv::Scalar& colour,
          const cv::Scalar& text_colour, double s, int line_width, double font_scale) {
  auto sc = [s](int v) { return static_cast<int>(std::lround(v * s)); };
  const cv::Rect box(sc(item.box.x), sc(item.box.y), sc(item.box.width), sc(item.box.height));
  const int lw = std::max(1, sc(line_width));
  cv::rectangle(img, box, colour, lw);
  if (item.label.empty()) return;
  int baseline = 0;
  const int face = cv::FONT_HERSHEY_SIMPLEX;
  const cv::Size text = cv::getTextSize(item.label, face, font_scale * s, 1, &baseline);
  // The label sits on the box's top edge, inside the frame.
  const int top = std::max(0, box.y - text.height - baseline - 2);
  cv::rectangle(img, cv::Rect(box.x, top, text.width + 4, text.height + baseline + 2), colour,
                cv::FILLED);
  cv::putText(img, item.label, cv::Point(box.x + 2, top + text.height + 1), face, font_scale * s,
              text_colour, 1, cv::LINE_AA);
}

}  // namespace

cv::Scalar identity_colour(int key) {
  if (key <= 0) return cv::Scalar(160, 160, 160);
  const double hue = std::fmod(key * 0.618033988749895, 1.0) * 180.0;
  cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(hue, 220, 255)), rgb;
  cv::cvtColor(hsv, rgb, cv::COLOR_HSV2RGB);
  const auto p = rgb.at<cv::Vec3b>(0, 0);
  return cv::Scalar(p[0], p[1], p[2]);
}

void paint_overlay(const FrameView& f, const std::vector<OverlayItem>& items, int line_width,
                   double font_scale) {
  const cv::Scalar black(0, 0, 0);
  for (const auto& item : items) {
    const cv::Scalar& c = item.rgb;
    switch (f.format) {
      case PixelFormat::kRGB:
      case PixelFormat::kBGR:
      case PixelFormat::kRGBx:
      case PixelFormat::kBGRx: {
        const bool four = f.format == PixelFormat::kRGBx || f.format == PixelFormat::kBGRx;
        const bool bgr = f.format == PixelFormat::kBGR || f.format == PixelFormat::kBGRx;
        cv::Mat img = plane(f, 0, f.height, f.width, four ? CV_8UC4 : CV_8UC3);
        const cv::Scalar colour =
            bgr ? cv::Scalar(c[2], c[1], c[0], 255) : cv::Scalar(c[0], c[1], c[2], 255);
        draw(img, item, colour, cv::Scalar(0, 0, 0, 255), 1.0, line_width, font_scale);
        break;
      }
      case PixelFormat::kGray8:
      case PixelFormat::kI420:
      case PixelFormat::kNV12: {
        const cv::Scalar yuv = rgb_to_yuv(c), black_yuv = rgb_to_yuv(black);
        cv::Mat y = plane(f, 0, f.height, f.width, CV_8UC1);
        draw(y, item, cv::Scalar(yuv[0]), cv::Scalar(black_yuv[0]), 1.0, line_width, font_scale);
        const int ch = (f.height + 1) / 2, cw = (f.width + 1) / 2;
        if (f.format == PixelFormat::kI420) {
          cv::Mat u = plane(f, 1, ch, cw, CV_8UC1), v = plane(f, 2, ch, cw, CV_8UC1);
          draw(u, item, cv::Scalar(yuv[1]), cv::Scalar(black_yuv[1]), 0.5, line_width, font_scale);
          draw(v, item, cv::Scalar(yuv[2]), cv::Scalar(black_yuv[2]), 0.5, line_width, font_scale);
        } else if (f.format == PixelFormat::kNV12) {
          cv::Mat uv = plane(f, 1, ch, cw, CV_8UC2);
          draw(uv, item, cv::Scalar(yuv[1], yuv[2]), cv::Scalar(black_yuv[1], black_yuv[2]), 0.5,
               line_width, font_scale);
        }
        break;
      }
    }
  }
}

}  // namespace hat::gst
