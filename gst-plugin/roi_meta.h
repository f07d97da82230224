// The plugin's metadata contract: person regions are GstVideoRegionOfInterestMeta (roi_type
// "person") whose params carry one GstStructure per kind of result. docs/METADATA.md documents
// every name, field and type; this header is the one place that spells them, for the elements and
// for applications (pipelines/read_metadata.cpp) alike.
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace hat::gst {

inline constexpr const char* kPersonRoiType = "person";
inline constexpr const char* kDetectionParams = "detection";
inline constexpr const char* kObjectIdParams = "object_id";
inline constexpr const char* kEmbeddingParams = "reid-embedding";
inline constexpr const char* kIdentityParams = "reid-identity";
inline constexpr const char* kDetectFrameMeta = "HatDetectFrameMeta";

// The ROI's box in frame pixels.
cv::Rect roi_box(const GstVideoRegionOfInterestMeta* roi);

// The ROIs of a buffer whose roi_type is `roi_type` (every ROI when it is empty). Their order
// is not meaningful: a buffer lists metas newest first, and a buffer copy reverses that.
std::vector<GstVideoRegionOfInterestMeta*> rois_of_type(GstBuffer* buffer,
                                                        const std::string& roi_type);

// Adds a person ROI with its `detection` structure (confidence, label, normalised box).
GstVideoRegionOfInterestMeta* add_person_roi(GstBuffer* buffer, const cv::Rect& box,
                                             int frame_width, int frame_height, double confidence,
                                             const char* detector);

// Replaces (or adds) the params structure of the same name; takes ownership of `params`.
void set_params(GstVideoRegionOfInterestMeta* roi, GstStructure* params);

std::optional<double> roi_confidence(GstVideoRegionOfInterestMeta* roi);

struct TrackInfo {
  int id = 0;                     // > 0, stable within the stream
  std::string state = "tracked";  // "tracked" (matched a detection) or "predicted"
  int age = 0;                    // frames since the track started
};
void set_track(GstVideoRegionOfInterestMeta* roi, const TrackInfo& track);
std::optional<TrackInfo> roi_track(GstVideoRegionOfInterestMeta* roi);

struct Embedding {
  std::string model;       // preset of the model, e.g. "hat-r18"
  std::string model_file;  // the checkpoint's file name
  std::vector<float> data;
  int age = 0;  // frames since it was computed (0: from this frame's crop)
  // The model's calibrated match threshold (hat-train adapt), which hatmatch takes when its
  // own threshold is not set; 0: the model has none.
  double match_threshold = 0;
};
void set_embedding(GstVideoRegionOfInterestMeta* roi, const Embedding& embedding);
std::optional<Embedding> roi_embedding(GstVideoRegionOfInterestMeta* roi);

struct IdentityCandidate {
  int global_id = 0;
  double distance = 0.0;
  std::string label;
};
struct Identity {
  int global_id = 0;
  double distance = 0.0;
  std::string label;  // empty unless the identity is enrolled
  // Only on the frame where hatmatch decided the identity: its event ("new", "matched",
  // "switched") and the nearest identities it weighed, nearest first.
  std::string event;
  std::vector<IdentityCandidate> candidates;
};
void set_identity(GstVideoRegionOfInterestMeta* roi, const Identity& identity);
std::optional<Identity> roi_identity(GstVideoRegionOfInterestMeta* roi);

// Frame-level marker from hatdetect: whether the detector ran on this frame (it runs every
// inference-interval frames), so a tracker knows a frame without ROIs from a frame not searched.
void mark_detection_frame(GstBuffer* buffer, bool detector_ran);
// nullopt when no hatdetect marked the frame (an external detector is assumed to run every frame).
std::optional<bool> detection_ran(GstBuffer* buffer);

}  // namespace hat::gst
