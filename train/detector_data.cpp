#include "train/detector_data.h"

#include <map>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "base/error.h"
#include "detection/background_detector.h"
#include "detection/letterbox.h"
#include "frame/frame_view.h"
#include "tracking/box_iou.h"
#include "train/composite_scene.h"

namespace hat {
namespace {

gst::Letterboxed letterbox_bgr(const cv::Mat& bgr, cv::Size input) {
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return gst::letterbox(rgb, input);
}

}  // namespace

cv::Rect2f to_input(const cv::Rect& box, double scale) {
  return cv::Rect2f(static_cast<float>(box.x * scale), static_cast<float>(box.y * scale),
                    static_cast<float>(box.width * scale), static_cast<float>(box.height * scale));
}

std::vector<DetectorSample> composite_samples(const cv::Mat& plate, cv::Size input,
                                              const CompositeSampleOptions& o, std::ostream& log) {
  std::vector<DetectorSample> samples;
  size_t people = 0;
  for (int k = 0; k < o.scenes; ++k) {
    CompositeOptions scene;
    scene.frames = o.frames;
    scene.people = o.people;
    scene.seed = o.seed + static_cast<uint64_t>(k);
    int index = 0;
    render_composite(plate, scene, [&](const CompositeFrame& f) {
      if (index++ % o.step != 0) return;
      const gst::Letterboxed in = letterbox_bgr(f.image, input);
      DetectorSample s;
      s.image = in.image;
      s.content = in.content;
      for (const auto& obj : f.objects) {
        (obj.visible >= o.min_visible ? s.boxes : s.ignore).push_back(to_input(obj.box, in.scale));
      }
      people += s.boxes.size();
      samples.push_back(std::move(s));
    });
  }
  log << "composites: " << samples.size() << " images from " << o.scenes << " scenes, " << people
      << " people\n";
  return samples;
}

std::vector<DetectorSample> pseudo_labelled_samples(const MinedSite& site, cv::Size input,
                                                    const PseudoLabelOptions& o,
                                                    std::ostream& log) {
  std::vector<DetectorSample> samples;
  for (size_t camera = 0; camera < site.videos.size(); ++camera) {
    const std::string& path = site.videos[camera];
    std::map<int, std::vector<cv::Rect>> labels;  // frame -> confident boxes
    for (const auto& t : site.tracklets) {
      if (t.camera != static_cast<int>(camera)) continue;
      for (size_t k = 0; k < t.frames.size(); ++k) labels[t.frames[k]].push_back(t.boxes[k]);
    }
    cv::VideoCapture capture(path, cv::CAP_FFMPEG);
    if (!capture.isOpened())
      throw Error(path + ": cannot read the video (not a file FFmpeg can decode)");
    // Weak detections too: the background model has to see every frame to keep its state.
    auto detector = gst::make_background_detector({.threshold = o.ignore_threshold});
    cv::Mat frame;
    size_t people = 0, ignored = 0, first = samples.size();
    for (int index = 0; capture.read(frame) && !frame.empty(); ++index) {
      const auto found = detector->detect(FrameView::from_bgr(frame));
      if (index < o.warmup || index % o.step != 0) continue;
      const gst::Letterboxed in = letterbox_bgr(frame, input);
      DetectorSample s;
      s.image = in.image;
      s.content = in.content;
      s.real = true;
      s.camera = static_cast<int>(camera);
      s.frame = index;
      if (auto it = labels.find(index); it != labels.end())
        for (const auto& b : it->second) s.boxes.push_back(to_input(b, in.scale));
      for (const auto& d : found) {
        const cv::Rect2f box = to_input(d.box, in.scale);
        bool labelled = false;
        for (const auto& b : s.boxes)
          labelled = labelled || tracking::subpixel_box_iou(box, b) > 0.5;
        if (!labelled) s.ignore.push_back(box);
      }
      people += s.boxes.size();
      ignored += s.ignore.size();
      samples.push_back(std::move(s));
    }
    log << path << ": " << samples.size() - first << " real frames, " << people
        << " pseudo-labelled people, " << ignored << " ignore regions\n";
  }
  return samples;
}

}  // namespace hat
