#include "train/tracklet_miner.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "base/error.h"
#include "base/file_io.h"
#include "base/json_settings.h"
#include "detection/detector_factory.h"
#include "evaluation/progress_bar.h"
#include "frame/crop.h"

namespace hat {

namespace {

constexpr const char* kWhat = "mining settings";
// Candidate crops kept in memory per live track; beyond it every other one is dropped and the
// sampling stride doubles, so a long track costs bounded memory and stays evenly covered.
constexpr size_t kMaxCandidates = 64;

std::unique_ptr<gst::PersonDetector> make_detector(const MiningOptions& o) {
  const bool onnx = o.detector.size() > 5 && o.detector.substr(o.detector.size() - 5) == ".onnx";
  if (!onnx && o.detector != "background" && o.detector != "hog")
    throw Error(kWhat + std::string(": detector must be background, hog or an .onnx file, not '") +
                o.detector + "'");
  return gst::make_person_detector(onnx ? "onnx" : o.detector, onnx ? o.detector : "", o.detection);
}

struct LiveTrack {
  Tracklet tracklet;
  double confidence_sum = 0;
  int stride = 1, seen = 0;
  std::vector<cv::Mat> candidates;  // BGR crops
};

}  // namespace

nlohmann::json to_json(const MiningOptions& o) {
  return {{"detector", o.detector},
          {"detection_threshold", o.detection.threshold},
          {"min_box_height", o.detection.min_size},
          {"detection_scale", o.detection.scale},
          {"tracker_max_age", o.tracking.max_age},
          {"tracker_min_hits", o.tracking.min_hits},
          {"tracker_iou_threshold", o.tracking.iou_threshold},
          {"min_length", o.min_length},
          {"min_confidence", o.min_confidence},
          {"crops_per_tracklet", o.crops_per_tracklet},
          {"max_frames", o.max_frames},
          {"border_margin", o.border_margin}};
}

MiningOptions mining_options_from_json(const nlohmann::json& j, const MiningOptions& defaults) {
  check_known_keys(j, to_json(defaults), kWhat);
  MiningOptions o = defaults;
  read_setting(j, "detector", o.detector, kWhat);
  read_setting(j, "detection_threshold", o.detection.threshold, kWhat);
  read_setting(j, "min_box_height", o.detection.min_size, kWhat);
  read_setting(j, "detection_scale", o.detection.scale, kWhat);
  read_setting(j, "tracker_max_age", o.tracking.max_age, kWhat);
  read_setting(j, "tracker_min_hits", o.tracking.min_hits, kWhat);
  read_setting(j, "tracker_iou_threshold", o.tracking.iou_threshold, kWhat);
  read_setting(j, "min_length", o.min_length, kWhat);
  read_setting(j, "min_confidence", o.min_confidence, kWhat);
  read_setting(j, "crops_per_tracklet", o.crops_per_tracklet, kWhat);
  read_setting(j, "max_frames", o.max_frames, kWhat);
  read_setting(j, "border_margin", o.border_margin, kWhat);
  if (o.min_length < 2 || o.crops_per_tracklet < 2 || o.max_frames < 0 || o.detection.scale <= 0 ||
      o.detection.scale > 4 || o.tracking.max_age < 1 || o.tracking.min_hits < 1 ||
      o.border_margin < 0 || o.border_margin >= 0.5)
    throw Error(std::string(kWhat) +
                ": min_length >= 2, crops_per_tracklet >= 2, max_frames >= 0, detection_scale in "
                "(0, 4], tracker_max_age >= 1, tracker_min_hits >= 1, border_margin in [0, 0.5)");
  return o;
}

nlohmann::json to_json(const MinedSite& s) {
  nlohmann::json tracklets = nlohmann::json::array();
  for (const auto& t : s.tracklets) {
    nlohmann::json boxes = nlohmann::json::array();
    for (const auto& b : t.boxes) boxes.push_back({b.x, b.y, b.width, b.height});
    tracklets.push_back({{"camera", t.camera},
                         {"track_id", t.track_id},
                         {"frames", t.frames},
                         {"boxes", boxes},
                         {"mean_confidence", t.mean_confidence},
                         {"crops", t.crops}});
  }
  return {{"videos", s.videos},
          {"frames_read", s.frames_read},
          {"detections", s.detections},
          {"tracklets", tracklets}};
}

MinedSite mined_site_from_json(const nlohmann::json& j) {
  MinedSite s;
  s.videos = j.at("videos").get<std::vector<std::string>>();
  s.frames_read = j.at("frames_read").get<std::vector<int>>();
  s.detections = j.at("detections").get<std::vector<int>>();
  for (const auto& t : j.at("tracklets")) {
    Tracklet x;
    x.camera = t.at("camera");
    x.track_id = t.at("track_id");
    x.frames = t.at("frames").get<std::vector<int>>();
    for (const auto& b : t.at("boxes")) x.boxes.emplace_back(b.at(0), b.at(1), b.at(2), b.at(3));
    x.mean_confidence = t.at("mean_confidence");
    x.crops = t.at("crops").get<std::vector<std::string>>();
    s.tracklets.push_back(std::move(x));
  }
  return s;
}

bool co_occur(const Tracklet& a, const Tracklet& b) {
  if (a.camera != b.camera || a.frames.empty() || b.frames.empty()) return false;
  if (a.frames.back() < b.frames.front() || b.frames.back() < a.frames.front()) return false;
  // Both frame lists are ascending: walk them together.
  size_t i = 0, j = 0;
  while (i < a.frames.size() && j < b.frames.size()) {
    if (a.frames[i] == b.frames[j]) return true;
    if (a.frames[i] < b.frames[j])
      ++i;
    else
      ++j;
  }
  return false;
}

std::vector<std::pair<int, int>> co_occurring_pairs(const std::vector<Tracklet>& tracklets) {
  std::vector<std::pair<int, int>> pairs;
  const int n = static_cast<int>(tracklets.size());
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if (co_occur(tracklets[static_cast<size_t>(i)], tracklets[static_cast<size_t>(j)]))
        pairs.emplace_back(i, j);
  return pairs;
}

std::vector<std::string> list_videos(const std::vector<std::string>& paths) {
  static const std::set<std::string> kExtensions = {".mp4",  ".avi",  ".mkv", ".mov",
                                                    ".webm", ".mjpg", ".m4v"};
  std::vector<std::string> videos;
  for (const auto& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        std::string ext = entry.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
        if (entry.is_regular_file() && kExtensions.count(ext)) found.push_back(entry.path());
      }
      if (found.empty()) throw Error(path + ": the folder holds no video file");
      std::sort(found.begin(), found.end());
      videos.insert(videos.end(), found.begin(), found.end());
    } else if (std::filesystem::exists(path, ec)) {
      videos.push_back(path);
    } else {
      throw Error(path + ": no such video file or folder");
    }
  }
  return videos;
}

MinedSite mine_tracklets(const std::vector<std::string>& videos, const MiningOptions& o,
                         const std::string& crops_dir, std::ostream& log, bool progress) {
  MinedSite site;
  site.videos = videos;
  for (size_t camera = 0; camera < videos.size(); ++camera) {
    const std::string& path = videos[camera];
    cv::VideoCapture capture(path, cv::CAP_FFMPEG);
    if (!capture.isOpened())
      throw Error(path + ": cannot read the video (not a file FFmpeg can decode)");
    auto detector = make_detector(o);
    tracking::SortTracker tracker(o.tracking);
    tracker.set_frame_size(cv::Size(static_cast<int>(capture.get(cv::CAP_PROP_FRAME_WIDTH)),
                                    static_cast<int>(capture.get(cv::CAP_PROP_FRAME_HEIGHT))));
    int total = static_cast<int>(capture.get(cv::CAP_PROP_FRAME_COUNT));
    if (o.max_frames > 0 && (total <= 0 || total > o.max_frames)) total = o.max_frames;
    ProgressBar bar("mining " + std::filesystem::path(path).filename().string(), std::max(total, 1),
                    progress);
    std::map<int, LiveTrack> live;
    std::vector<Tracklet> kept;
    int frames = 0, detections = 0, tracks = 0;
    const std::string dir = crops_dir + "/c" + std::to_string(camera);
    create_folders(dir);
    auto finish = [&](LiveTrack& t) {
      ++tracks;
      const int n = static_cast<int>(t.tracklet.frames.size());
      if (n < o.min_length || t.candidates.size() < 2) return;
      t.tracklet.mean_confidence = t.confidence_sum / n;
      if (t.tracklet.mean_confidence < o.min_confidence) return;
      // A box much wider or shorter than the track's median is a blob of two people, or half
      // a person: not a crop of this one.
      std::vector<int> widths, heights;
      for (const auto& c : t.candidates) {
        widths.push_back(c.cols);
        heights.push_back(c.rows);
      }
      std::nth_element(widths.begin(), widths.begin() + widths.size() / 2, widths.end());
      std::nth_element(heights.begin(), heights.begin() + heights.size() / 2, heights.end());
      const double mw = widths[widths.size() / 2], mh = heights[heights.size() / 2];
      t.candidates.erase(std::remove_if(t.candidates.begin(), t.candidates.end(),
                                        [&](const cv::Mat& c) {
                                          return std::abs(c.cols - mw) > 0.25 * mw ||
                                                 std::abs(c.rows - mh) > 0.2 * mh;
                                        }),
                         t.candidates.end());
      if (t.candidates.size() < 2) return;
      const size_t want = std::min(t.candidates.size(), static_cast<size_t>(o.crops_per_tracklet));
      const int index = static_cast<int>(site.tracklets.size() + kept.size());
      for (size_t k = 0; k < want; ++k) {
        const auto& c = t.candidates[k * t.candidates.size() / want];
        char name[64];
        std::snprintf(name, sizeof name, "/t%05d_%02zu.jpg", index, k);
        const std::string file = dir + name;
        if (!cv::imwrite(file, c, {cv::IMWRITE_JPEG_QUALITY, 95}))
          throw Error(file + ": cannot write the crop");
        t.tracklet.crops.push_back(file);
      }
      kept.push_back(std::move(t.tracklet));
    };
    cv::Mat frame;
    while ((o.max_frames == 0 || frames < o.max_frames) && capture.read(frame)) {
      if (frame.empty()) break;
      const FrameView view = FrameView::from_bgr(frame);
      const auto found = detector->detect(view);
      detections += static_cast<int>(found.size());
      std::vector<tracking::TrackerDetection> input;
      for (const auto& d : found) input.push_back({d.box, {}, d.confidence});
      std::set<int> alive;
      const int mx = static_cast<int>(o.border_margin * frame.cols),
                my = static_cast<int>(o.border_margin * frame.rows);
      for (const auto& out : tracker.update(input)) {
        if (out.track_id == 0) continue;
        alive.insert(out.track_id);
        if (out.detection < 0) continue;  // coasting on its prediction: no evidence this frame
        const auto& d = found[static_cast<size_t>(out.detection)];
        LiveTrack& t = live[out.track_id];
        t.tracklet.camera = static_cast<int>(camera);
        t.tracklet.track_id = out.track_id;
        t.tracklet.frames.push_back(frames);
        t.tracklet.boxes.push_back(d.box);
        t.confidence_sum += d.confidence;
        // Only whole people become crops: a box touching the frame edge is cut off.
        const cv::Rect& b = d.box;
        const bool whole =
            b.x > mx && b.y > my && b.br().x < frame.cols - mx && b.br().y < frame.rows - my;
        if (whole && t.seen++ % t.stride == 0) {
          cv::Mat bgr;
          cv::cvtColor(crop_to_rgb(view, b), bgr, cv::COLOR_RGB2BGR);
          t.candidates.push_back(bgr);
          if (t.candidates.size() >= kMaxCandidates) {
            std::vector<cv::Mat> half;
            for (size_t k = 0; k < t.candidates.size(); k += 2) half.push_back(t.candidates[k]);
            t.candidates = std::move(half);
            t.stride *= 2;
          }
        }
      }
      for (auto it = live.begin(); it != live.end();) {
        if (alive.count(it->first)) {
          ++it;
        } else {
          finish(it->second);
          it = live.erase(it);
        }
      }
      ++frames;
      bar.advance();
    }
    bar.finish();
    for (auto& [id, t] : live) finish(t);
    if (frames == 0) throw Error(path + ": cannot read the video (no frame decoded)");
    if (kept.empty())
      throw Error(path + ": no people found: " + std::to_string(frames) + " frames, " +
                  std::to_string(detections) + " detections (" + o.detector + "), " +
                  std::to_string(tracks) + " tracks, none of at least " +
                  std::to_string(o.min_length) + " frames at mean confidence " +
                  std::to_string(o.min_confidence).substr(0, 4));
    log << path << ": " << frames << " frames, " << detections << " detections, " << tracks
        << " tracks, " << kept.size() << " tracklets kept\n";
    site.frames_read.push_back(frames);
    site.detections.push_back(detections);
    for (auto& t : kept) site.tracklets.push_back(std::move(t));
  }
  return site;
}

}  // namespace hat
