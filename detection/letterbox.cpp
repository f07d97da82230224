#include "detection/letterbox.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace hat::gst {

Letterboxed letterbox(const cv::Mat& source, cv::Size input) {
  Letterboxed out;
  out.scale = std::min(static_cast<double>(input.width) / source.cols,
                       static_cast<double>(input.height) / source.rows);
  out.image = cv::Mat(input, CV_8UC3, cv::Scalar(114, 114, 114));
  const cv::Size fitted(std::max(1, static_cast<int>(source.cols * out.scale)),
                        std::max(1, static_cast<int>(source.rows * out.scale)));
  cv::Mat resized;
  cv::resize(source, resized, fitted, 0, 0, out.scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
  resized.copyTo(out.image(cv::Rect(0, 0, fitted.width, fitted.height)));
  out.content = fitted;
  return out;
}

}  // namespace hat::gst
