#include "frame/thumbnail.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base/error.h"
#include "frame/crop.h"

namespace hat {

std::string jpeg_thumbnail(const cv::Mat& rgb, int height, int quality) {
  if (rgb.empty()) throw Error("thumbnail: empty image");
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  if (height > 0 && bgr.rows > height) {
    const int width =
        std::max(1, static_cast<int>(std::lround(bgr.cols * double(height) / bgr.rows)));
    cv::resize(bgr, bgr, cv::Size(width, height), 0, 0, cv::INTER_AREA);
  }
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, std::clamp(quality, 1, 100)});
  return std::string(jpeg.begin(), jpeg.end());
}

std::string jpeg_thumbnail(const FrameView& frame, const cv::Rect& box, int height, int quality) {
  return jpeg_thumbnail(crop_to_rgb(frame, box), height, quality);
}

}  // namespace hat
