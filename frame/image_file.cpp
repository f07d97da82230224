#include "frame/image_file.h"

#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>

#include "base/error.h"
#include "frame/crop.h"
#include "frame/frame_view.h"

namespace hat {

cv::Mat read_rgb_image(const std::string& path) {
  // OpenCV would also print its own warning for an unreadable file; ours is the one line.
  static const bool quiet = [] {
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
    return true;
  }();
  (void)quiet;
  cv::Mat bgr;
  try {
    bgr = cv::imread(path, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw Error(path + ": cannot decode image (" + e.err + ")");
  }
  if (bgr.empty()) throw Error(path + ": missing, unreadable or not an image");
  return crop_to_rgb(FrameView::from_bgr(bgr), cv::Rect(0, 0, bgr.cols, bgr.rows));
}

}  // namespace hat
