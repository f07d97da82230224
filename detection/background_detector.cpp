#include "detection/background_detector.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/video/background_segm.hpp>

#include "frame/crop.h"

namespace hat::gst {
namespace {

struct Blob {
  cv::Rect box;  // in the model's (scaled) pixels
  int area = 0;  // foreground pixels
};

// The foreground's tight box within `area` of `mask`; empty when it holds none.
cv::Rect tight_box(const cv::Mat& mask, const cv::Rect& area) {
  std::vector<cv::Point> points;
  cv::findNonZero(mask(area), points);
  if (points.empty()) return {};
  return cv::boundingRect(points) + area.tl();
}

class BackgroundDetector final : public PersonDetector {
 public:
  BackgroundDetector(const DetectorOptions& options, const BackgroundOptions& background)
      : options_(options),
        background_(background),
        model_(cv::createBackgroundSubtractorMOG2(background.history, background.var_threshold,
                                                  /*detectShadows=*/true)),
        ground_(background.ground) {}

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
    mask_ = mask;
    frame_size_ = cv::Size(frame.width, frame.height);
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
    std::vector<Blob> blobs;
    const int min_area = std::max(4, static_cast<int>(std::lround(30 * s * s)));
    for (int i = 1; i < n; ++i) {
      Blob b{cv::Rect(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                      stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT)),
             stats.at<int>(i, cv::CC_STAT_AREA)};
      if (b.area >= min_area) blobs.push_back(b);
    }
    if (ground_.fitted()) join_fragments(blobs);
    std::vector<PersonDetection> found;
    for (const Blob& b : blobs) {
      if (ground_.fitted())
        explain_with_ground(b, found);
      else
        shape_test(b, found);
    }
    return found;
  }
  const char* name() const override { return "background"; }

 private:
  // Expected person height (model pixels) for feet on row `foot_y` (model pixels).
  std::optional<double> expected(double foot_y) const {
    const double s = options_.scale;
    const auto h = ground_.expected_height(foot_y / s);
    if (!h) return std::nullopt;
    return *h * s;
  }

  bool touches_edge(const cv::Rect& b) const {
    return b.x <= 1 || b.y <= 1 || b.br().x >= mask_.cols - 1 || b.br().y >= mask_.rows - 1;
  }

  cv::Rect to_frame(const cv::Rect& model_box) const {
    const double s = options_.scale;
    return {static_cast<int>(std::lround(model_box.x / s)),
            static_cast<int>(std::lround(model_box.y / s)),
            static_cast<int>(std::lround(model_box.width / s)),
            static_cast<int>(std::lround(model_box.height / s))};
  }

  void emit(const cv::Rect& model_box, double confidence, std::vector<PersonDetection>& found) {
    const cv::Rect clipped = clip_box(to_frame(model_box), frame_size_.width, frame_size_.height);
    if (clipped.empty() || clipped.height < std::max(options_.min_size, background_.min_height) ||
        confidence < options_.threshold)
      return;
    found.push_back({clipped, confidence});
  }

  // Before the ground plane is known: the blob is a person when shaped like one. Isolated,
  // well-shaped people away from the edges teach the plane.
  void shape_test(const Blob& b, std::vector<PersonDetection>& found) {
    const double aspect = static_cast<double>(b.box.height) / std::max(1, b.box.width);
    const double fill = b.area / static_cast<double>(b.box.area());
    if (aspect < background_.min_aspect || aspect > background_.max_aspect ||
        fill < background_.min_fill)
      return;
    teach(b.box, fill);
    emit(b.box, std::min(1.0, fill / 0.6), found);
  }

  void teach(const cv::Rect& box, double fill) {
    const double aspect = static_cast<double>(box.height) / std::max(1, box.width);
    if (aspect >= 2.0 && aspect <= 4.0 && fill >= 0.45 && !touches_edge(box) &&
        box.height >= 16 * options_.scale)
      ground_.add_sample(to_frame(box));
  }

  // A blob much shorter than a person at its row, above or below another one it overlaps in
  // columns, is a fragment of the same person when together they make one person's height.
  void join_fragments(std::vector<Blob>& blobs) const {
    for (bool joined = true; joined;) {
      joined = false;
      for (size_t i = 0; i < blobs.size() && !joined; ++i)
        for (size_t j = 0; j < blobs.size() && !joined; ++j) {
          if (i == j) continue;
          const cv::Rect a = blobs[i].box, b = blobs[j].box;
          const auto h = expected(std::max(a.br().y, b.br().y));
          if (!h || a.height > 0.6 * *h) continue;
          const int overlap = std::min(a.br().x, b.br().x) - std::max(a.x, b.x);
          const int gap = std::max(a.y, b.y) - std::min(a.br().y, b.br().y);
          const cv::Rect u = a | b;
          if (overlap < 0.5 * std::min(a.width, b.width) || gap > 0.3 * *h ||
              u.height > 1.25 * *h || u.width > 0.8 * *h)
            continue;
          blobs[i] = {u, blobs[i].area + blobs[j].area};
          blobs.erase(blobs.begin() + static_cast<long>(j));
          joined = true;
        }
    }
  }

  // How well a box's height agrees with the ground plane's for its feet.
  static double agreement(double ratio) { return std::exp(-(ratio - 1) * (ratio - 1) / 0.32); }

  // With the ground plane: one or more people, or none.
  void explain_with_ground(const Blob& b, std::vector<PersonDetection>& found) {
    const auto h = expected(b.box.br().y);
    if (!h) return;
    const bool cut_below = b.box.br().y >= mask_.rows - 1;  // feet outside the frame
    const double ratio = b.box.height / *h;
    if (ratio < (cut_below ? 0.3 : 0.5)) return;
    const double fill = b.area / static_cast<double>(b.box.area());
    if (fill < background_.min_fill * 0.8) return;
    cv::Rect box = b.box;
    if (ratio > 1.5 && !cut_below) {
      // A near person in front of a farther one: the bottom person's height from the plane,
      // the rest above is explained on its own.
      const int top = box.br().y - static_cast<int>(std::lround(*h));
      const cv::Rect upper(box.x, box.y, box.width, std::max(1, top - box.y));
      const cv::Rect lower(box.x, top, box.width, box.br().y - top);
      const cv::Rect upper_tight = tight_box(mask_, upper);
      if (!upper_tight.empty()) {
        const auto hu = expected(upper_tight.br().y);
        if (hu && upper_tight.height > 0.5 * *hu) split_columns(upper_tight, *hu, found, false);
      }
      box = lower;
    }
    split_columns(box, *h, found, cut_below);
  }

  // One person per `person_width * h` of width, cut at the thinnest columns of the foreground.
  void split_columns(const cv::Rect& box, double h, std::vector<PersonDetection>& found,
                     bool cut_below) {
    const double width = background_.person_width * h;
    const int parts = std::clamp(static_cast<int>(std::lround(box.width / width)), 1, 8);
    if (parts == 1) {
      const double ratio = box.height / h;
      const double fill = cv::countNonZero(mask_(box)) / static_cast<double>(box.area());
      if (!cut_below && fill >= 0.45 && ratio > 0.8 && ratio < 1.25) teach(box, fill);
      emit(box, std::min(1.0, fill / 0.6) * (cut_below ? 1.0 : agreement(ratio)), found);
      return;
    }
    cv::Mat profile;
    cv::reduce(mask_(box) / 255, profile, 0, cv::REDUCE_SUM, CV_32S);
    std::vector<int> cuts = {0};
    const double step = box.width / static_cast<double>(parts);
    for (int k = 1; k < parts; ++k) {
      const int centre = static_cast<int>(std::lround(k * step));
      const int reach = std::max(1, static_cast<int>(0.25 * step));
      int best = centre;
      for (int x = std::max(cuts.back() + 1, centre - reach);
           x <= std::min(box.width - 2, centre + reach); ++x)
        if (profile.at<int>(0, x) < profile.at<int>(0, best)) best = x;
      cuts.push_back(best);
    }
    cuts.push_back(box.width);
    for (size_t k = 0; k + 1 < cuts.size(); ++k) {
      const cv::Rect column(box.x + cuts[k], box.y, cuts[k + 1] - cuts[k], box.height);
      const cv::Rect person = tight_box(mask_, column);
      if (person.empty()) continue;
      const auto hp = expected(person.br().y);
      if (!hp) continue;
      const bool part_cut = cut_below || person.br().y >= mask_.rows - 1;
      const double ratio = person.height / *hp;
      if (ratio < (part_cut ? 0.3 : 0.5)) continue;
      const double fill = cv::countNonZero(mask_(person)) / static_cast<double>(person.area());
      emit(person, std::min(1.0, fill / 0.6) * (part_cut ? 1.0 : agreement(ratio)), found);
    }
  }

  DetectorOptions options_;
  BackgroundOptions background_;
  cv::Ptr<cv::BackgroundSubtractorMOG2> model_;
  GroundPlane ground_;
  cv::Mat mask_;  // this frame's foreground, model pixels
  cv::Size frame_size_;
  int frames_ = 0;
};

}  // namespace

std::unique_ptr<PersonDetector> make_background_detector(const DetectorOptions& options,
                                                         const BackgroundOptions& background) {
  return std::make_unique<BackgroundDetector>(options, background);
}

}  // namespace hat::gst
