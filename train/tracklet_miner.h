// Tracklets mined from a site's unlabeled video: the project's person detectors (detection/, as in
// hatdetect) and SORT tracker (tracking/, as in hattrack) run over each camera's video file, and
// the tracks long and confident enough to be one person are kept, with crops sampled along them.
// These are the pseudo-identities of `hat-train adapt` (train/site_adapter.h).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "detection/background_detector.h"
#include "detection/person_detector.h"
#include "tracking/sort_tracker.h"

namespace hat {

struct MiningOptions {
  // "background" (fixed cameras, no model), "hog", or an ONNX detector file.
  std::string detector = "background";
  gst::DetectorOptions detection{.threshold = 0.6, .min_size = 40, .scale = 0.5};
  tracking::TrackerOptions tracking{.max_age = 10, .min_hits = 3};
  int min_length = 20;          // frames in which the track matched a detection
  double min_confidence = 0.7;  // mean detection confidence along the track
  int crops_per_tracklet = 16;  // sampled evenly along the track
  int max_frames = 0;           // per video; 0: the whole video
  double border_margin = 0.01;  // boxes this close to the frame edge (share) are cut people
};
nlohmann::json to_json(const MiningOptions& options);
// Missing keys keep their defaults; an unknown key or a wrong type is a hat::Error naming it.
MiningOptions mining_options_from_json(const nlohmann::json& json,
                                       const MiningOptions& defaults = {});

struct Tracklet {
  int camera = 0;               // index into MinedSite::videos
  int track_id = 0;             // the tracker's id within that camera
  std::vector<int> frames;      // frames (0-based, ascending) in which it matched a detection
  std::vector<cv::Rect> boxes;  // the matched detection's box in each of those frames
  double mean_confidence = 0;
  std::vector<std::string> crops;  // image files, sampled evenly along the track
};

struct MinedSite {
  std::vector<std::string> videos;
  std::vector<int> frames_read, detections;  // per video
  std::vector<Tracklet> tracklets;
};
nlohmann::json to_json(const MinedSite& site);
MinedSite mined_site_from_json(const nlohmann::json& json);

// True when the two tracklets were both detected in one frame of the same camera: then they are
// two different people (the free negatives of a surveillance video).
bool co_occur(const Tracklet& a, const Tracklet& b);
// Every co-occurring pair (i < j) of `tracklets`.
std::vector<std::pair<int, int>> co_occurring_pairs(const std::vector<Tracklet>& tracklets);

// Expands folders into the video files they hold (sorted by name; .mp4 .avi .mkv .mov .webm
// .mjpg .m4v); hat::Error for a path that does not exist or a folder without videos.
std::vector<std::string> list_videos(const std::vector<std::string>& paths);

// Runs detection and tracking over every video (one camera each) and writes the crops of the
// kept tracks as JPEG files under `crops_dir` (c<camera>/t<tracklet>_<k>.jpg). hat::Error for an
// unreadable video, a bad detector setting or an unwritable folder; a video where no tracklet
// survives is a hat::Error naming it with what was found (frames, detections, tracks).
MinedSite mine_tracklets(const std::vector<std::string>& videos, const MiningOptions& options,
                         const std::string& crops_dir, std::ostream& log, bool progress);

}  // namespace hat
