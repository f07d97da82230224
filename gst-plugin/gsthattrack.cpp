/**
 * SECTION:element-hattrack
 * @title: hattrack
 *
 * Per-camera multi-object tracker over person ROIs for static cameras: a Kalman filter predicts
 * each track and detections are assigned by minimum cost on IoU in ByteTrack's two stages:
 * confident ROIs (high-threshold) first, then the weak ones for the tracks still unmatched. When
 * the ROIs carry "reid-embedding" structures (hatembed placed before hattrack) appearance joins
 * the cost and re-activates lost tracks. A track is confirmed after min-hits matches and
 * forgotten max-age frames after its last one, or when it walks out of the frame. Confirmed
 * tracks give their ROI an "object_id" structure whose id is stable within the stream; on
 * frames that hatdetect skipped (inference-interval) the tracks matched at its last frame are
 * reported at their predicted position. Weak ROIs that continue no track are removed.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! hatdetect ! hattrack max-age=50 ! hatoverlay ! \
 *   videoconvert ! autovideosink
 * ]|
 */
#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>
#include <gst/video/video.h>

#include <memory>
#include <mutex>
#include <string>

#include "frame/crop.h"
#include "gst-plugin/element_class.h"
#include "gst-plugin/elements.h"
#include "gst-plugin/roi_meta.h"
#include "gst-plugin/video_frame.h"
#include "tracking/sort_tracker.h"

GST_DEBUG_CATEGORY_STATIC(hat_track_debug);
#define GST_CAT_DEFAULT hat_track_debug

namespace {

// The properties, copied where they are used.
struct TrackSettings {
  hat::tracking::TrackerOptions options;
  std::string object_class = hat::gst::kPersonRoiType;
};

// From start to stop; the streaming thread's.
struct TrackState {
  std::unique_ptr<hat::tracking::SortTracker> tracker;
  int width = 0, height = 0;
};

struct TrackElement {
  std::mutex settings_mutex;
  TrackSettings settings;
  TrackState state;
};

}  // namespace

G_BEGIN_DECLS
#define GST_TYPE_HAT_TRACK (gst_hat_track_get_type())
G_DECLARE_FINAL_TYPE(GstHatTrack, gst_hat_track, GST, HAT_TRACK, GstVideoFilter)
G_END_DECLS

struct _GstHatTrack {
  GstVideoFilter parent;
  TrackElement* impl;
};

G_DEFINE_TYPE_WITH_CODE(GstHatTrack, gst_hat_track, GST_TYPE_VIDEO_FILTER,
                        GST_DEBUG_CATEGORY_INIT(hat_track_debug, "hattrack", 0,
                                                "HAT multi-object tracker"))
GST_ELEMENT_REGISTER_DEFINE(hattrack, "hattrack", GST_RANK_NONE, GST_TYPE_HAT_TRACK)

enum {
  PROP_0,
  PROP_MAX_AGE,
  PROP_MIN_HITS,
  PROP_IOU_THRESHOLD,
  PROP_HIGH_THRESHOLD,
  PROP_LOW_IOU_THRESHOLD,
  PROP_MAX_COSINE_DISTANCE,
  PROP_APPEARANCE_WEIGHT,
  PROP_OBJECT_CLASS,
};

static void gst_hat_track_set_property(GObject* object, guint id, const GValue* value,
                                       GParamSpec* pspec) {
  auto* self = GST_HAT_TRACK(object);
  std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
  auto& s = self->impl->settings;
  switch (id) {
    case PROP_MAX_AGE:
      s.options.max_age = g_value_get_int(value);
      break;
    case PROP_MIN_HITS:
      s.options.min_hits = g_value_get_int(value);
      break;
    case PROP_IOU_THRESHOLD:
      s.options.iou_threshold = g_value_get_double(value);
      break;
    case PROP_HIGH_THRESHOLD:
      s.options.high_threshold = g_value_get_double(value);
      break;
    case PROP_LOW_IOU_THRESHOLD:
      s.options.low_iou_threshold = g_value_get_double(value);
      break;
    case PROP_MAX_COSINE_DISTANCE:
      s.options.max_cosine_distance = g_value_get_double(value);
      break;
    case PROP_APPEARANCE_WEIGHT:
      s.options.appearance_weight = g_value_get_double(value);
      break;
    case PROP_OBJECT_CLASS:
      s.object_class = hat::gst::string_value(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
}

static void gst_hat_track_get_property(GObject* object, guint id, GValue* value,
                                       GParamSpec* pspec) {
  auto* self = GST_HAT_TRACK(object);
  std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
  const auto& s = self->impl->settings;
  switch (id) {
    case PROP_MAX_AGE:
      g_value_set_int(value, s.options.max_age);
      break;
    case PROP_MIN_HITS:
      g_value_set_int(value, s.options.min_hits);
      break;
    case PROP_IOU_THRESHOLD:
      g_value_set_double(value, s.options.iou_threshold);
      break;
    case PROP_HIGH_THRESHOLD:
      g_value_set_double(value, s.options.high_threshold);
      break;
    case PROP_LOW_IOU_THRESHOLD:
      g_value_set_double(value, s.options.low_iou_threshold);
      break;
    case PROP_MAX_COSINE_DISTANCE:
      g_value_set_double(value, s.options.max_cosine_distance);
      break;
    case PROP_APPEARANCE_WEIGHT:
      g_value_set_double(value, s.options.appearance_weight);
      break;
    case PROP_OBJECT_CLASS:
      g_value_set_string(value, s.object_class.c_str());
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
}

static gboolean gst_hat_track_start(GstBaseTransform* trans) {
  auto& impl = *GST_HAT_TRACK(trans)->impl;
  std::lock_guard<std::mutex> lock(impl.settings_mutex);
  impl.state.tracker = std::make_unique<hat::tracking::SortTracker>(impl.settings.options);
  impl.state.tracker->set_frame_size(cv::Size(impl.state.width, impl.state.height));
  return TRUE;
}

static gboolean gst_hat_track_stop(GstBaseTransform* trans) {
  GST_HAT_TRACK(trans)->impl->state.tracker.reset();
  return TRUE;
}

static gboolean gst_hat_track_set_info(GstVideoFilter* filter, GstCaps*, GstVideoInfo* in_info,
                                       GstCaps*, GstVideoInfo*) {
  auto& s = GST_HAT_TRACK(filter)->impl->state;
  // Boxes of another resolution cannot continue the old tracks.
  if ((s.width != 0 && s.width != GST_VIDEO_INFO_WIDTH(in_info)) ||
      (s.height != 0 && s.height != GST_VIDEO_INFO_HEIGHT(in_info))) {
    GST_INFO_OBJECT(filter, "resolution changed: tracks restart");
    if (s.tracker) s.tracker->reset();
  }
  s.width = GST_VIDEO_INFO_WIDTH(in_info);
  s.height = GST_VIDEO_INFO_HEIGHT(in_info);
  if (s.tracker) s.tracker->set_frame_size(cv::Size(s.width, s.height));
  return TRUE;
}

static gboolean gst_hat_track_sink_event(GstBaseTransform* trans, GstEvent* event) {
  // After a flush (a seek) the next frame is not the continuation of the last one.
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) {
    auto& s = GST_HAT_TRACK(trans)->impl->state;
    if (s.tracker) s.tracker->reset();
  }
  return GST_BASE_TRANSFORM_CLASS(gst_hat_track_parent_class)->sink_event(trans, event);
}

static GstFlowReturn gst_hat_track_transform_frame_ip(GstVideoFilter* filter,
                                                      GstVideoFrame* frame) {
  auto* self = GST_HAT_TRACK(filter);
  auto& s = self->impl->state;
  std::string object_class;
  {
    std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
    object_class = self->impl->settings.object_class;
  }
  GstBuffer* buffer = frame->buffer;
  const auto rois = hat::gst::rois_of_type(buffer, object_class);
  std::vector<hat::tracking::TrackerDetection> detections;
  std::vector<GstVideoRegionOfInterestMeta*> used;
  for (auto* roi : rois) {
    const cv::Rect box = hat::clip_box(hat::gst::roi_box(roi), s.width, s.height);
    if (box.empty()) continue;  // zero-size or off-frame ROIs cannot be tracked
    hat::tracking::TrackerDetection d{box, {}};
    if (auto e = hat::gst::roi_embedding(roi)) d.embedding = std::move(e->data);
    // ROIs without a detection structure (another element's) count as confident.
    d.confidence = hat::gst::roi_confidence(roi).value_or(1.0);
    detections.push_back(std::move(d));
    used.push_back(roi);
  }
  const bool ran = hat::gst::detection_ran(buffer).value_or(true);
  std::vector<bool> kept(used.size(), false);
  for (const auto& out : s.tracker->update(detections, ran)) {
    if (out.detection >= 0) kept[static_cast<size_t>(out.detection)] = true;
    if (out.track_id == 0) continue;
    GstVideoRegionOfInterestMeta* roi = nullptr;
    std::string state = "tracked";
    if (out.detection >= 0) {
      roi = used[static_cast<size_t>(out.detection)];
    } else {
      const cv::Rect box = hat::clip_box(out.box, s.width, s.height);
      if (box.empty()) continue;
      roi = gst_buffer_add_video_region_of_interest_meta(
          buffer, object_class.c_str(), static_cast<guint>(box.x), static_cast<guint>(box.y),
          static_cast<guint>(box.width), static_cast<guint>(box.height));
      state = "predicted";
    }
    hat::gst::set_track(roi, {out.track_id, state, out.age});
  }
  // Weak detections that continue no track are noise to the tracker: later elements do not
  // see them.
  for (size_t j = 0; j < used.size(); ++j)
    if (!kept[j]) gst_buffer_remove_meta(buffer, reinterpret_cast<GstMeta*>(used[j]));
  return GST_FLOW_OK;
}

static void gst_hat_track_finalize(GObject* object) {
  delete GST_HAT_TRACK(object)->impl;
  G_OBJECT_CLASS(gst_hat_track_parent_class)->finalize(object);
}

static void gst_hat_track_class_init(GstHatTrackClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  auto* filter_class = GST_VIDEO_FILTER_CLASS(klass);
  gobject_class->set_property = GST_DEBUG_FUNCPTR(gst_hat_track_set_property);
  gobject_class->get_property = GST_DEBUG_FUNCPTR(gst_hat_track_get_property);
  gobject_class->finalize = GST_DEBUG_FUNCPTR(gst_hat_track_finalize);
  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_READY);
  const hat::tracking::TrackerOptions d;
  g_object_class_install_property(
      gobject_class, PROP_MAX_AGE,
      g_param_spec_int("max-age", "Maximum age",
                       "Frames a confirmed track survives without a matched detection", 1, 100000,
                       d.max_age, flags));
  g_object_class_install_property(
      gobject_class, PROP_MIN_HITS,
      g_param_spec_int("min-hits", "Minimum hits",
                       "Matched detections before a track is confirmed and gets an id", 1, 1000,
                       d.min_hits, flags));
  g_object_class_install_property(
      gobject_class, PROP_IOU_THRESHOLD,
      g_param_spec_double("iou-threshold", "IoU threshold",
                          "Minimum IoU between prediction and detection for a motion match", 0.0,
                          1.0, d.iou_threshold, flags));
  g_object_class_install_property(
      gobject_class, PROP_HIGH_THRESHOLD,
      g_param_spec_double("high-threshold", "High threshold",
                          "Detection confidence that is matched first and may start a track; "
                          "weaker ROIs only continue tracks (second stage) and are removed "
                          "when they continue none",
                          0.0, 1.0, d.high_threshold, flags));
  g_object_class_install_property(
      gobject_class, PROP_LOW_IOU_THRESHOLD,
      g_param_spec_double("low-iou-threshold", "Low IoU threshold",
                          "Minimum IoU between prediction and a weak detection (second stage)", 0.0,
                          1.0, d.low_iou_threshold, flags));
  g_object_class_install_property(
      gobject_class, PROP_MAX_COSINE_DISTANCE,
      g_param_spec_double("max-cosine-distance", "Maximum cosine distance",
                          "Appearance gate when ROIs carry re-ID embeddings", 0.0, 2.0,
                          d.max_cosine_distance, flags));
  g_object_class_install_property(
      gobject_class, PROP_APPEARANCE_WEIGHT,
      g_param_spec_double("appearance-weight", "Appearance weight",
                          "Share of the cosine distance in the association cost (with embeddings)",
                          0.0, 1.0, d.appearance_weight, flags));
  g_object_class_install_property(
      gobject_class, PROP_OBJECT_CLASS,
      g_param_spec_string("object-class", "Object class", "ROI type to track (empty: every ROI)",
                          hat::gst::kPersonRoiType, flags));

  gst_element_class_set_static_metadata(element_class, "HAT multi-object tracker", "Analyzer/Video",
                                        "Gives person ROIs track ids stable within the stream",
                                        "hat-reid developers");
  hat::gst::add_sink_src_templates(element_class, HAT_VIDEO_CAPS);
  trans_class->start = GST_DEBUG_FUNCPTR(gst_hat_track_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_hat_track_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_hat_track_sink_event);
  filter_class->set_info = GST_DEBUG_FUNCPTR(gst_hat_track_set_info);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_hat_track_transform_frame_ip);
}

static void gst_hat_track_init(GstHatTrack* self) { self->impl = new TrackElement(); }
