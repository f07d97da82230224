#include "detection/background_detector.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/video/background_segm.hpp>

#include "frame/crop.h"

namespace hat::gst {
namespace {

class BackgroundDetector final : public PersonDetector {
 public:
  BackgroundDetector(const DetectorOptions& options, const BackgroundOptions& background)
      : options_(options),
        background_(background),
        model_(cv::createBackgroundSubtractorMOG2(background.history, background.var_threshold,
                                                  /*detectShadows=*/true)) {}

  std::vector<PersonDetection> detect(const FrameView& frame) override {
    cv::Mat image = crop_to_rgb(frame, cv::Rect(0, 0, frame.width, frame.height));
    const double s = options_.scale;
    if (s != 1.0) {
      cv::Mat resized;
      cv::resize(image, resized, cv::Size(), s, s, s < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
      image = resized;
    }
    cv::Mat mask;
    model_->apply(image, mask);
    if (++frames_ <= background_.warmup_frames) return {};
    // MOG2 marks shadows 127 and foreground 255: keep the foreground only.
    cv::threshold(mask, mask, 200, 255, cv::THRESH_BINARY);
    // Open removes speckle; a tall close joins a person's head, torso and legs into one blob.
    const int unit = std::max(1, static_cast<int>(std::lround(3 * s)));
    cv::morphologyEx(mask, mask, cv::MORPH_OPEN,
                     cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(unit, unit)));
    cv::morphologyEx(mask, mask, cv::MORPH_CLOSE,
                     cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * unit + 1, 5 * unit)));
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
    std::vector<PersonDetection> found;
    for (int i = 1; i < n; ++i) {
      const cv::Rect b(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                       stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
      const double aspect = static_cast<double>(b.height) / std::max(1, b.width);
      const double fill = stats.at<int>(i, cv::CC_STAT_AREA) / static_cast<double>(b.area());
      if (aspect < background_.min_aspect || aspect > background_.max_aspect ||
          fill < background_.min_fill)
        continue;
      const cv::Rect box(
          static_cast<int>(std::lround(b.x / s)), static_cast<int>(std::lround(b.y / s)),
          static_cast<int>(std::lround(b.width / s)), static_cast<int>(std::lround(b.height / s)));
      const cv::Rect clipped = clip_box(box, frame.width, frame.height);
      const double confidence = std::min(1.0, fill / 0.6);
      if (clipped.empty() || clipped.height < options_.min_size || confidence < options_.threshold)
        continue;
      found.push_back({clipped, confidence});
    }
    return found;
  }
  const char* name() const override { return "background"; }

 private:
  DetectorOptions options_;
  BackgroundOptions background_;
  cv::Ptr<cv::BackgroundSubtractorMOG2> model_;
  int frames_ = 0;
};

}  // namespace

std::unique_ptr<PersonDetector> make_background_detector(const DetectorOptions& options,
                                                         const BackgroundOptions& background) {
  return std::make_unique<BackgroundDetector>(options, background);
}

}  // namespace hat::gst
