#include "train/background_plate.h"

#include <algorithm>
#include <vector>

#include <opencv2/videoio.hpp>

#include "base/error.h"

namespace hat {

cv::Mat background_plate(const std::string& video, int samples) {
  cv::VideoCapture in(video, cv::CAP_FFMPEG);
  if (!in.isOpened()) throw Error(video + ": cannot read the video");
  // Decode once and keep every k-th frame: seeking MJPEG/MPEG-4 files is not reliable.
  const auto count = static_cast<long>(in.get(cv::CAP_PROP_FRAME_COUNT));
  const long step = std::max(1L, count / std::max(1, samples));
  std::vector<cv::Mat> frames;
  cv::Mat frame;
  for (long i = 0; in.read(frame); ++i)
    if (i % step == 0 && static_cast<int>(frames.size()) < samples) frames.push_back(frame.clone());
  if (frames.size() < 3) throw Error(video + ": fewer than 3 frames, no background plate");
  const cv::Size size = frames.front().size();
  cv::Mat plate(size, CV_8UC3);
  std::vector<uchar> values(frames.size());
  const size_t middle = values.size() / 2;
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x)
      for (int c = 0; c < 3; ++c) {
        for (size_t k = 0; k < frames.size(); ++k) values[k] = frames[k].at<cv::Vec3b>(y, x)[c];
        std::nth_element(values.begin(), values.begin() + static_cast<long>(middle), values.end());
        plate.at<cv::Vec3b>(y, x)[c] = values[middle];
      }
  return plate;
}

}  // namespace hat
