/**
 * SECTION:element-hatmatch
 * @title: hatmatch
 *
 * Gives the people of several cameras global identities. Each camera enters on its own request
 * pad `sink_%u` and leaves, untouched, on the paired `src_%u`; the per-pad property `camera-id`
 * names the camera. Tracks (hattrack) with embeddings (hatembed) are aggregated per track (the
 * L2-normalised mean of the recent embeddings) and matched against a cross-camera gallery: a
 * track that no identity matches closer than `threshold` starts a new identity, and a track keeps
 * its identity until another one is closer by `hysteresis`. A model adapted to the site with
 * `hat-train adapt` carries a calibrated threshold, which replaces the default 0.35 unless
 * `threshold` is set.
 *
 * Every tracked ROI gets a `reid-identity` structure (global-id, distance, label when the person
 * is enrolled with hat-gallery). Each new, matched or switched identity is posted as a
 * `hat-identity` element message and, with `events-location`, written as a JSON line.
 *
 * With `gallery-location` the gallery is an SQLite file (created owner-only, WAL mode) that
 * several pipelines on one machine share and that `hat-gallery` enrolls into and searches, or a
 * `postgresql://` URI that the hosts of a site share (docs/SCALE.md); without it the gallery
 * lives in memory. docs/PLUGIN.md describes the policies.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 hatmatch name=m gallery-location=gallery.db \
 *     sink_0::camera-id=lobby sink_1::camera-id=garage \
 *   filesrc location=lobby.mp4 ! decodebin ! videoconvert ! hatdetect ! hattrack ! \
 *     hatembed model=model.hat ! m.sink_0 \
 *   filesrc location=garage.mp4 ! decodebin ! videoconvert ! hatdetect ! hattrack ! \
 *     hatembed model=model.hat ! m.sink_1 \
 *   m.src_0 ! hatoverlay ! videoconvert ! autovideosink \
 *   m.src_1 ! hatoverlay ! videoconvert ! autovideosink
 * ]|
 */
#include <gst/gst.h>

#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/error.h"
#include "base/json_lines_writer.h"
#include "frame/thumbnail.h"
#include "gallery/identity_event_json.h"
#include "gallery/identity_matcher.h"
#include "gst-plugin/element_class.h"
#include "gst-plugin/elements.h"
#include "gst-plugin/roi_meta.h"
#include "gst-plugin/video_frame.h"
#include "gst-plugin/wall_clock.h"

GST_DEBUG_CATEGORY_STATIC(hat_match_debug);
#define GST_CAT_DEFAULT hat_match_debug

// ---- The sink pad: one camera, with its camera-id ----------------------------------------------

G_BEGIN_DECLS
#define GST_TYPE_HAT_MATCH_PAD (gst_hat_match_pad_get_type())
G_DECLARE_FINAL_TYPE(GstHatMatchPad, gst_hat_match_pad, GST, HAT_MATCH_PAD, GstPad)
G_END_DECLS

namespace {
// The pad's settings: written by the application thread, read by the streaming thread.
struct PadSettings {
  std::mutex mutex;
  std::string camera_id;
};
}  // namespace

struct _GstHatMatchPad {
  GstPad parent;
  PadSettings* settings;
  GstSegment segment;  // the streaming thread's
  GstVideoInfo info;   // the streaming thread's: raw video in system memory, for thumbnails
  gboolean has_info;
};

G_DEFINE_TYPE(GstHatMatchPad, gst_hat_match_pad, GST_TYPE_PAD)

enum { PAD_PROP_0, PAD_PROP_CAMERA_ID };

static void gst_hat_match_pad_set_property(GObject* object, guint id, const GValue* value,
                                           GParamSpec* pspec) {
  auto* pad = GST_HAT_MATCH_PAD(object);
  if (id != PAD_PROP_CAMERA_ID) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    return;
  }
  const std::string camera = hat::gst::string_value(value);
  std::lock_guard<std::mutex> lock(pad->settings->mutex);
  if (camera.empty()) {
    g_warning("hatmatch %s: camera-id must not be empty; keeping '%s'", GST_PAD_NAME(pad),
              pad->settings->camera_id.c_str());
    return;
  }
  pad->settings->camera_id = camera;
}

static void gst_hat_match_pad_get_property(GObject* object, guint id, GValue* value,
                                           GParamSpec* pspec) {
  auto* pad = GST_HAT_MATCH_PAD(object);
  if (id != PAD_PROP_CAMERA_ID) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    return;
  }
  std::lock_guard<std::mutex> lock(pad->settings->mutex);
  g_value_set_string(value, pad->settings->camera_id.c_str());
}

static void gst_hat_match_pad_finalize(GObject* object) {
  delete GST_HAT_MATCH_PAD(object)->settings;
  G_OBJECT_CLASS(gst_hat_match_pad_parent_class)->finalize(object);
}

static void gst_hat_match_pad_class_init(GstHatMatchPadClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  gobject_class->set_property = GST_DEBUG_FUNCPTR(gst_hat_match_pad_set_property);
  gobject_class->get_property = GST_DEBUG_FUNCPTR(gst_hat_match_pad_get_property);
  gobject_class->finalize = GST_DEBUG_FUNCPTR(gst_hat_match_pad_finalize);
  g_object_class_install_property(
      gobject_class, PAD_PROP_CAMERA_ID,
      g_param_spec_string("camera-id", "Camera id",
                          "Name of this pad's camera, in events, messages and the gallery "
                          "(default camera-N for pad sink_N; unique per element)",
                          nullptr,
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_READY)));
}

static void gst_hat_match_pad_init(GstHatMatchPad* pad) {
  pad->settings = new PadSettings();
  gst_segment_init(&pad->segment, GST_FORMAT_TIME);
  gst_video_info_init(&pad->info);
  pad->has_info = FALSE;
}

// ---- The element --------------------------------------------------------------------------------

namespace {

// The properties: set by the application at any time, copied by the element where it uses them.
struct MatchSettings {
  hat::MatchPolicy policy;
  // Whether the application set `threshold`; if not, the model's calibrated threshold (carried
  // by the embeddings) replaces the default as soon as one arrives.
  bool threshold_set = false;
  std::string gallery_location;
  std::string events_location;
  bool post_messages = true;
  int thumbnail_size = 128;  // pixels high
};

// What exists from READY->PAUSED to PAUSED->READY. Every user (the pads' streaming threads,
// property reads, pad release) holds a reference for as long as it uses it, so stopping never
// frees what another thread is still using.
struct Running {
  std::unique_ptr<hat::IdentityMatcher> matcher;
  std::unique_ptr<hat::JsonLinesWriter> events;  // null without events-location
};

// The element's C++ side. Lock order: policy_mutex, then settings_mutex or state_mutex (never
// both at once); the matcher's own lock is taken by its calls, with none of these held but
// policy_mutex.
struct MatchElement {
  std::mutex settings_mutex;
  MatchSettings settings;
  // Held while a policy change reaches the matcher (and while the matcher is made), so that
  // concurrent property changes reach it in the order they were made.
  std::mutex policy_mutex;
  std::mutex state_mutex;
  std::shared_ptr<Running> running;
  std::optional<hat::GalleryWarning> last_warning;  // the last one posted
  // The calibrated threshold last handled, so that frames after the first skip the locks.
  std::atomic<double> calibrated_seen{0.0};
  hat::gst::WallClockAnchor clock;  // anchored by the first buffer of any pad
};

}  // namespace

G_BEGIN_DECLS
#define GST_TYPE_HAT_MATCH (gst_hat_match_get_type())
G_DECLARE_FINAL_TYPE(GstHatMatch, gst_hat_match, GST, HAT_MATCH, GstElement)
G_END_DECLS

struct _GstHatMatch {
  GstElement parent;
  MatchElement* impl;
};

static void gst_hat_match_child_proxy_init(gpointer iface, gpointer);

// GstChildProxy exposes the sink pads as children, which is how a launch line sets per-pad
// properties (sink_0::camera-id=lobby), also before the pad is requested.
G_DEFINE_TYPE_WITH_CODE(GstHatMatch, gst_hat_match, GST_TYPE_ELEMENT,
                        G_IMPLEMENT_INTERFACE(GST_TYPE_CHILD_PROXY, gst_hat_match_child_proxy_init);
                        GST_DEBUG_CATEGORY_INIT(hat_match_debug, "hatmatch", 0,
                                                "HAT cross-camera identity matching"))
GST_ELEMENT_REGISTER_DEFINE(hatmatch, "hatmatch", GST_RANK_NONE, GST_TYPE_HAT_MATCH)

#define HAT_MATCH_CAPS "video/x-raw(ANY)"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS(HAT_MATCH_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src_%u", GST_PAD_SRC, GST_PAD_REQUEST, GST_STATIC_CAPS(HAT_MATCH_CAPS));

enum {
  PROP_0,
  PROP_THRESHOLD,
  PROP_HYSTERESIS,
  PROP_TRACK_WINDOW,
  PROP_MIN_EMBEDDINGS,
  PROP_TIME_WINDOW,
  PROP_SAME_CAMERA,
  PROP_MAX_GALLERY_SIZE,
  PROP_TTL,
  PROP_SIGHTING_INTERVAL,
  PROP_SYNC_INTERVAL,
  PROP_GALLERY_LOCATION,
  PROP_EVENTS_LOCATION,
  PROP_POST_MESSAGES,
  PROP_THUMBNAILS,
  PROP_THUMBNAIL_SIZE,
  PROP_IDENTITIES,
  PROP_SIGHTINGS,
};

// The running state, or null when stopped.
static std::shared_ptr<Running> running_of(GstHatMatch* self) {
  std::lock_guard<std::mutex> lock(self->impl->state_mutex);
  return self->impl->running;
}

static void gst_hat_match_set_property(GObject* object, guint id, const GValue* value,
                                       GParamSpec* pspec) {
  auto* self = GST_HAT_MATCH(object);
  auto& impl = *self->impl;
  std::lock_guard<std::mutex> policy_lock(impl.policy_mutex);
  std::unique_lock<std::mutex> lock(impl.settings_mutex);
  auto& s = impl.settings;
  auto& p = s.policy;
  switch (id) {
    case PROP_THRESHOLD:
      p.threshold = g_value_get_double(value);
      s.threshold_set = true;
      break;
    case PROP_HYSTERESIS:
      p.hysteresis = g_value_get_double(value);
      break;
    case PROP_TRACK_WINDOW:
      p.track_window = static_cast<int>(g_value_get_uint(value));
      break;
    case PROP_MIN_EMBEDDINGS:
      p.min_embeddings = static_cast<int>(g_value_get_uint(value));
      break;
    case PROP_TIME_WINDOW:
      p.time_window_us = static_cast<int64_t>(g_value_get_uint(value)) * 1000000;
      break;
    case PROP_SAME_CAMERA:
      p.same_camera_constraint = g_value_get_boolean(value);
      break;
    case PROP_MAX_GALLERY_SIZE:
      p.max_gallery_size = g_value_get_uint(value);
      break;
    case PROP_TTL:
      p.ttl_us = static_cast<int64_t>(g_value_get_uint(value)) * 1000000;
      break;
    case PROP_SIGHTING_INTERVAL:
      p.sighting_interval_us = static_cast<int64_t>(g_value_get_uint(value)) * 1000;
      break;
    case PROP_SYNC_INTERVAL:
      p.sync_interval_us = static_cast<int64_t>(g_value_get_uint(value)) * 1000;
      break;
    case PROP_GALLERY_LOCATION:
      s.gallery_location = hat::gst::string_value(value);
      break;
    case PROP_EVENTS_LOCATION:
      s.events_location = hat::gst::string_value(value);
      break;
    case PROP_POST_MESSAGES:
      s.post_messages = g_value_get_boolean(value);
      break;
    case PROP_THUMBNAILS:
      p.thumbnails_per_identity = static_cast<int>(g_value_get_uint(value));
      break;
    case PROP_THUMBNAIL_SIZE:
      s.thumbnail_size = static_cast<int>(g_value_get_uint(value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  const auto policy = p;
  lock.unlock();
  if (const auto running = running_of(self)) running->matcher->set_policy(policy);
}

static void gst_hat_match_get_property(GObject* object, guint id, GValue* value,
                                       GParamSpec* pspec) {
  auto* self = GST_HAT_MATCH(object);
  if (id == PROP_IDENTITIES || id == PROP_SIGHTINGS) {
    const auto running = running_of(self);
    const size_t n = !running                ? 0
                     : id == PROP_IDENTITIES ? running->matcher->identity_count()
                                             : running->matcher->sighting_count();
    g_value_set_uint(value, static_cast<guint>(n));
    return;
  }
  std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
  const auto& s = self->impl->settings;
  const auto& p = s.policy;
  switch (id) {
    case PROP_THRESHOLD:
      g_value_set_double(value, p.threshold);
      break;
    case PROP_HYSTERESIS:
      g_value_set_double(value, p.hysteresis);
      break;
    case PROP_TRACK_WINDOW:
      g_value_set_uint(value, static_cast<guint>(p.track_window));
      break;
    case PROP_MIN_EMBEDDINGS:
      g_value_set_uint(value, static_cast<guint>(p.min_embeddings));
      break;
    case PROP_TIME_WINDOW:
      g_value_set_uint(value, static_cast<guint>(p.time_window_us / 1000000));
      break;
    case PROP_SAME_CAMERA:
      g_value_set_boolean(value, p.same_camera_constraint);
      break;
    case PROP_MAX_GALLERY_SIZE:
      g_value_set_uint(value, static_cast<guint>(p.max_gallery_size));
      break;
    case PROP_TTL:
      g_value_set_uint(value, static_cast<guint>(p.ttl_us / 1000000));
      break;
    case PROP_SIGHTING_INTERVAL:
      g_value_set_uint(value, static_cast<guint>(p.sighting_interval_us / 1000));
      break;
    case PROP_SYNC_INTERVAL:
      g_value_set_uint(value, static_cast<guint>(p.sync_interval_us / 1000));
      break;
    case PROP_GALLERY_LOCATION:
      g_value_set_string(value, s.gallery_location.empty() ? nullptr : s.gallery_location.c_str());
      break;
    case PROP_EVENTS_LOCATION:
      g_value_set_string(value, s.events_location.empty() ? nullptr : s.events_location.c_str());
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean(value, s.post_messages);
      break;
    case PROP_THUMBNAILS:
      g_value_set_uint(value, static_cast<guint>(p.thumbnails_per_identity));
      break;
    case PROP_THUMBNAIL_SIZE:
      g_value_set_uint(value, static_cast<guint>(s.thumbnail_size));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
}

// The paired pad: a sink's src and a src's sink.
static GstPad* partner_of(GstPad* pad) { return GST_PAD(gst_pad_get_element_private(pad)); }

static GstIterator* gst_hat_match_iterate_internal_links(GstPad* pad, GstObject*) {
  GValue value = G_VALUE_INIT;
  g_value_init(&value, GST_TYPE_PAD);
  g_value_set_object(&value, partner_of(pad));
  GstIterator* it = gst_iterator_new_single(GST_TYPE_PAD, &value);
  g_value_unset(&value);
  return it;
}

static std::string camera_of(GstHatMatchPad* pad) {
  std::lock_guard<std::mutex> lock(pad->settings->mutex);
  return pad->settings->camera_id;
}

static void report(GstHatMatch* self, const Running& running, const hat::IdentityEvent& e,
                   GstClockTime pts, bool post_message) {
  if (post_message) {
    GstStructure* st = gst_structure_new(
        "hat-identity", "event", G_TYPE_STRING, e.kind.c_str(), "camera", G_TYPE_STRING,
        e.camera.c_str(), "track", G_TYPE_INT, e.track, "global-id", G_TYPE_INT64, e.global_id,
        "distance", G_TYPE_DOUBLE, e.distance, "label", G_TYPE_STRING, e.label.c_str(), "timestamp",
        G_TYPE_UINT64, static_cast<guint64>(pts), "unix-time-us", G_TYPE_INT64, e.time_us, "x",
        G_TYPE_INT, e.box.x, "y", G_TYPE_INT, e.box.y, "width", G_TYPE_INT, e.box.width, "height",
        G_TYPE_INT, e.box.height, "previous-id", G_TYPE_INT64, e.previous_id, "merged",
        G_TYPE_BOOLEAN, e.merged, nullptr);
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), st));
  }
  if (!running.events) return;
  try {
    running.events->write(hat::identity_event_json(
        e, GST_CLOCK_TIME_IS_VALID(pts) ? std::optional<uint64_t>(pts) : std::nullopt));
  } catch (const hat::Error& error) {
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("%s", error.what()), (nullptr));
  }
}

// A gallery that cannot be written for a while is a warning, once per distinct problem: the
// sightings are kept and written when it can be again.
static void warn_once(GstHatMatch* self, const std::optional<hat::GalleryWarning>& warning) {
  auto& impl = *self->impl;
  {
    std::lock_guard<std::mutex> lock(impl.state_mutex);
    if (warning == impl.last_warning) return;
    impl.last_warning = warning;
  }
  if (warning)
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("%s", warning->message.c_str()), (nullptr));
}

// The model's calibrated threshold becomes the policy's, unless the application set one.
static void adopt_calibrated_threshold(GstHatMatch* self, Running& running, double threshold) {
  auto& impl = *self->impl;
  if (impl.calibrated_seen.exchange(threshold) == threshold) return;
  std::lock_guard<std::mutex> policy_lock(impl.policy_mutex);
  hat::MatchPolicy policy;
  {
    std::lock_guard<std::mutex> lock(impl.settings_mutex);
    auto& s = impl.settings;
    if (s.threshold_set || s.policy.threshold == threshold) return;
    s.policy.threshold = threshold;
    policy = s.policy;
  }
  GST_INFO_OBJECT(self, "threshold %.4f: calibrated for the site by hat-train adapt", threshold);
  running.matcher->set_policy(policy);
}

static GstFlowReturn gst_hat_match_chain(GstPad* pad, GstObject* parent, GstBuffer* buffer) {
  namespace g = hat::gst;
  auto* self = GST_HAT_MATCH(parent);
  auto* mpad = GST_HAT_MATCH_PAD(pad);
  GstPad* src = partner_of(pad);
  const auto running = running_of(self);
  const auto rois = g::rois_of_type(buffer, g::kPersonRoiType);
  std::vector<hat::TrackObservation> observations;
  hat::EmbeddingSpace space;
  double calibrated = 0;
  for (auto* roi : rois) {
    const auto track = g::roi_track(roi);
    if (!track) continue;
    hat::TrackObservation o;
    o.track = track->id;
    const cv::Rect box = g::roi_box(roi);
    o.box = {box.x, box.y, box.width, box.height};
    o.confidence = g::roi_confidence(roi).value_or(0.0);
    if (auto e = g::roi_embedding(roi); e && e->age == 0 && !e->data.empty()) {
      space = {e->model, static_cast<int>(e->data.size())};
      calibrated = e->match_threshold;
      o.embedding = std::move(e->data);
    }
    observations.push_back(std::move(o));
  }
  if (observations.empty() || !running) return gst_pad_push(src, buffer);
  if (calibrated > 0) adopt_calibrated_threshold(self, *running, calibrated);

  const std::string camera = camera_of(mpad);
  const int64_t time_us = self->impl->clock.unix_us(mpad->segment, buffer);
  int thumbnail_size = 0, thumbnails = 0;
  {
    std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
    const auto& s = self->impl->settings;
    if (!s.gallery_location.empty()) thumbnails = s.policy.thumbnails_per_identity;
    thumbnail_size = s.thumbnail_size;
  }
  // The frame stays mapped while the matcher may ask for crops (only when it records a
  // sighting: about once a second per track).
  GstVideoFrame frame;
  const bool mapped = thumbnails > 0 && mpad->has_info &&
                      gst_video_frame_map(&frame, &mpad->info, buffer, GST_MAP_READ);
  std::optional<hat::FrameView> view;
  if (mapped) view = g::frame_view(frame);
  for (auto& o : observations) {
    if (!view) break;
    const cv::Rect box(o.box.x, o.box.y, o.box.width, o.box.height);
    o.thumbnail = [&view, box, thumbnail_size]() -> std::string {
      try {
        return hat::jpeg_thumbnail(*view, box, thumbnail_size);
      } catch (const hat::Error&) {
        return {};  // a box off the frame: a sighting without a picture
      }
    };
  }
  hat::FrameIdentities result;
  try {
    result = running->matcher->process_frame(camera, time_us, space, observations);
  } catch (const hat::Error& e) {
    if (mapped) gst_video_frame_unmap(&frame);
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("camera %s: %s", camera.c_str(), e.what()), (nullptr));
    gst_buffer_unref(buffer);
    return GST_FLOW_ERROR;
  }
  if (mapped) gst_video_frame_unmap(&frame);
  warn_once(self, result.warning);
  if (!result.tracks.empty()) {
    buffer = gst_buffer_make_writable(buffer);  // a copy only when the buffer is shared
    std::map<int, const hat::TrackIdentity*> by_track;
    for (const auto& t : result.tracks) by_track[t.track] = &t;
    std::map<int, const hat::IdentityEvent*> event_of;
    for (const auto& e : result.events) event_of[e.track] = &e;
    for (auto* roi : g::rois_of_type(buffer, g::kPersonRoiType)) {
      const auto track = g::roi_track(roi);
      const auto it = track ? by_track.find(track->id) : by_track.end();
      if (it == by_track.end()) continue;
      g::Identity identity{
          static_cast<int>(it->second->global_id), it->second->distance, it->second->label, "", {}};
      // The decision rides on its frame, so that downstream elements (hatpublish) see each
      // recognition once.
      if (const auto e = event_of.find(track->id); e != event_of.end()) {
        identity.event = e->second->kind;
        for (const auto& c : e->second->candidates)
          identity.candidates.push_back({static_cast<int>(c.identity), c.distance, c.label});
      }
      g::set_identity(roi, identity);
    }
  }
  bool post = true;
  {
    std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
    post = self->impl->settings.post_messages;
  }
  for (const auto& e : result.events) {
    GST_INFO_OBJECT(self, "camera %s track %d: %s identity %" G_GINT64_FORMAT " (distance %.3f)",
                    e.camera.c_str(), e.track, e.kind.c_str(), e.global_id, e.distance);
    report(self, *running, e, GST_BUFFER_PTS(buffer), post);
  }
  return gst_pad_push(src, buffer);
}

static gboolean gst_hat_match_sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  auto* self = GST_HAT_MATCH(parent);
  auto* mpad = GST_HAT_MATCH_PAD(pad);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment(event, &mpad->segment);
      break;
    case GST_EVENT_CAPS: {
      GstCaps* caps = nullptr;
      gst_event_parse_caps(event, &caps);
      // Thumbnails need pixels this process can read: raw video in system memory.
      const GstCapsFeatures* features = gst_caps_get_features(caps, 0);
      mpad->has_info =
          (features == nullptr ||
           gst_caps_features_is_equal(features, GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY)) &&
          gst_video_info_from_caps(&mpad->info, caps) &&
          hat::gst::to_pixel_format(GST_VIDEO_INFO_FORMAT(&mpad->info)).has_value();
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      // Upstream trackers restart their ids after a flush: this camera's tracks end here.
      gst_segment_init(&mpad->segment, GST_FORMAT_TIME);
      [[fallthrough]];
    case GST_EVENT_EOS:
      if (const auto running = running_of(self))
        warn_once(self, running->matcher->end_camera(camera_of(mpad)));
      break;
    default:
      break;
  }
  return gst_pad_event_default(pad, parent, event);
}

static bool parse_index(const gchar* name, const char* prefix, guint& index) {
  if (name == nullptr || !g_str_has_prefix(name, prefix)) return false;
  gchar* end = nullptr;
  const guint64 v = g_ascii_strtoull(name + std::strlen(prefix), &end, 10);
  if (end == name + std::strlen(prefix) || *end != '\0' || v > G_MAXINT) return false;
  index = static_cast<guint>(v);
  return true;
}

static GstPad* gst_hat_match_request_new_pad(GstElement* element, GstPadTemplate* templ,
                                             const gchar* name, const GstCaps*) {
  auto* self = GST_HAT_MATCH(element);
  const bool want_sink = GST_PAD_TEMPLATE_DIRECTION(templ) == GST_PAD_SINK;
  guint index = 0;
  if (name != nullptr) {
    if (!parse_index(name, want_sink ? "sink_" : "src_", index)) {
      GST_ELEMENT_ERROR(self, CORE, PAD, ("hatmatch: no pad '%s': pads are sink_N and src_N", name),
                        (nullptr));
      return nullptr;
    }
  } else {
    // The lowest index without a pair.
    for (;; ++index) {
      gchar* taken = g_strdup_printf("sink_%u", index);
      GstPad* existing = gst_element_get_static_pad(element, taken);
      g_free(taken);
      if (existing == nullptr) break;
      gst_object_unref(existing);
    }
  }
  gchar* sink_name = g_strdup_printf("sink_%u", index);
  gchar* src_name = g_strdup_printf("src_%u", index);
  GstPad* existing = gst_element_get_static_pad(element, want_sink ? sink_name : src_name);
  if (existing != nullptr) {
    gst_object_unref(existing);
    GST_WARNING_OBJECT(self, "pad %s exists already", want_sink ? sink_name : src_name);
    g_free(sink_name);
    g_free(src_name);
    return nullptr;
  }
  auto* klass = GST_ELEMENT_GET_CLASS(element);
  GstPad* sink = GST_PAD(
      g_object_new(GST_TYPE_HAT_MATCH_PAD, "name", sink_name, "direction", GST_PAD_SINK, "template",
                   gst_element_class_get_pad_template(klass, "sink_%u"), nullptr));
  GstPad* src =
      gst_pad_new_from_template(gst_element_class_get_pad_template(klass, "src_%u"), src_name);
  GST_HAT_MATCH_PAD(sink)->settings->camera_id = "camera-" + std::to_string(index);
  g_free(sink_name);
  g_free(src_name);
  gst_pad_set_element_private(sink, src);
  gst_pad_set_element_private(src, sink);
  for (GstPad* p : {sink, src}) {
    gst_pad_set_iterate_internal_links_function(
        p, GST_DEBUG_FUNCPTR(gst_hat_match_iterate_internal_links));
    GST_PAD_SET_PROXY_CAPS(p);
    GST_PAD_SET_PROXY_ALLOCATION(p);
    GST_PAD_SET_PROXY_SCHEDULING(p);
  }
  gst_pad_set_chain_function(sink, GST_DEBUG_FUNCPTR(gst_hat_match_chain));
  gst_pad_set_event_function(sink, GST_DEBUG_FUNCPTR(gst_hat_match_sink_event));
  if (GST_STATE(element) > GST_STATE_READY) {
    gst_pad_set_active(src, TRUE);
    gst_pad_set_active(sink, TRUE);
  }
  gst_element_add_pad(element, src);
  gst_element_add_pad(element, sink);
  gst_child_proxy_child_added(GST_CHILD_PROXY(element), G_OBJECT(sink), GST_OBJECT_NAME(sink));
  return want_sink ? sink : src;
}

static void gst_hat_match_release_pad(GstElement* element, GstPad* pad) {
  auto* self = GST_HAT_MATCH(element);
  GstPad* sink = GST_PAD_IS_SINK(pad) ? pad : partner_of(pad);
  GstPad* src = partner_of(sink);
  if (const auto running = running_of(self))
    warn_once(self, running->matcher->end_camera(camera_of(GST_HAT_MATCH_PAD(sink))));
  gst_object_ref(sink);
  gst_object_ref(src);
  gst_child_proxy_child_removed(GST_CHILD_PROXY(element), G_OBJECT(sink), GST_OBJECT_NAME(sink));
  for (GstPad* p : {sink, src}) {
    gst_pad_set_active(p, FALSE);
    gst_element_remove_pad(element, p);
  }
  gst_object_unref(sink);
  gst_object_unref(src);
}

// Two pads with one camera-id would mix their track ids into one camera's.
static bool cameras_unique(GstHatMatch* self) {
  std::map<std::string, std::string> seen;
  GST_OBJECT_LOCK(self);
  for (GList* l = GST_ELEMENT(self)->sinkpads; l != nullptr; l = l->next) {
    auto* pad = GST_HAT_MATCH_PAD(l->data);
    const std::string camera = camera_of(pad);
    const auto [it, added] = seen.emplace(camera, GST_PAD_NAME(pad));
    if (!added) {
      GST_OBJECT_UNLOCK(self);
      GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
                        ("pads %s and %s both have camera-id '%s': give each camera its own",
                         it->second.c_str(), GST_PAD_NAME(pad), camera.c_str()),
                        (nullptr));
      return false;
    }
  }
  GST_OBJECT_UNLOCK(self);
  return true;
}

static bool start(GstHatMatch* self) {
  auto& impl = *self->impl;
  // A policy change made while the matcher is being made waits, and then reaches it.
  std::lock_guard<std::mutex> policy_lock(impl.policy_mutex);
  MatchSettings settings;
  {
    std::lock_guard<std::mutex> lock(impl.settings_mutex);
    settings = impl.settings;
  }
  if (!cameras_unique(self)) return false;
  auto running = std::make_shared<Running>();
  try {
    std::unique_ptr<hat::GalleryStore> store;
    if (!settings.gallery_location.empty()) store = hat::open_gallery(settings.gallery_location);
    running->matcher = std::make_unique<hat::IdentityMatcher>(settings.policy, std::move(store));
  } catch (const hat::Error& e) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ_WRITE, ("%s", e.what()), (nullptr));
    return false;
  }
  if (!settings.events_location.empty()) {
    try {
      // Appended: an NVR keeps one identity log across restarts.
      running->events = std::make_unique<hat::JsonLinesWriter>(settings.events_location,
                                                               hat::JsonLinesWriter::Mode::kAppend);
    } catch (const hat::Error& e) {
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("%s", e.what()), (nullptr));
      return false;
    }
  }
  GST_INFO_OBJECT(self, "gallery %s, session %" G_GUINT64_FORMAT,
                  running->matcher->gallery_location().c_str(), running->matcher->session());
  std::lock_guard<std::mutex> lock(impl.state_mutex);
  impl.running = std::move(running);
  impl.clock.reset();
  impl.last_warning.reset();
  return true;
}

static void stop(GstHatMatch* self) {
  std::shared_ptr<Running> running;
  {
    std::lock_guard<std::mutex> lock(self->impl->state_mutex);
    running = std::move(self->impl->running);
  }
  if (!running) return;
  if (const auto warning = running->matcher->flush())
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("%s", warning->message.c_str()), (nullptr));
  if (running->events) {
    try {
      running->events->close();
    } catch (const hat::Error& e) {
      GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("%s", e.what()), (nullptr));
    }
  }
}

static GstStateChangeReturn gst_hat_match_change_state(GstElement* element,
                                                       GstStateChange transition) {
  auto* self = GST_HAT_MATCH(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !start(self))
    return GST_STATE_CHANGE_FAILURE;
  const auto ret = GST_ELEMENT_CLASS(gst_hat_match_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) stop(self);
  return ret;
}

static void gst_hat_match_finalize(GObject* object) {
  auto* self = GST_HAT_MATCH(object);
  stop(self);
  delete self->impl;
  G_OBJECT_CLASS(gst_hat_match_parent_class)->finalize(object);
}

static void gst_hat_match_class_init(GstHatMatchClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = GST_DEBUG_FUNCPTR(gst_hat_match_set_property);
  gobject_class->get_property = GST_DEBUG_FUNCPTR(gst_hat_match_get_property);
  gobject_class->finalize = GST_DEBUG_FUNCPTR(gst_hat_match_finalize);
  const auto live = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                             GST_PARAM_MUTABLE_PLAYING);
  const auto ready = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_READY);
  const auto read_only = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  const hat::MatchPolicy d;
  g_object_class_install_property(
      gobject_class, PROP_THRESHOLD,
      g_param_spec_double("threshold", "Threshold",
                          "Cosine distance below which a track matches a known identity; "
                          "otherwise it starts a new one. Unset, the model's threshold "
                          "calibrated by hat-train adapt is taken when its embeddings carry one",
                          0.0, 2.0, d.threshold, live));
  g_object_class_install_property(
      gobject_class, PROP_HYSTERESIS,
      g_param_spec_double("hysteresis", "Hysteresis",
                          "Margin (cosine distance) by which another identity must be closer "
                          "before a track changes identity",
                          0.0, 1.0, d.hysteresis, live));
  g_object_class_install_property(
      gobject_class, PROP_TRACK_WINDOW,
      g_param_spec_uint("track-window", "Track window",
                        "Recent embeddings averaged into a track's query", 1, 1000,
                        static_cast<guint>(d.track_window), live));
  g_object_class_install_property(
      gobject_class, PROP_MIN_EMBEDDINGS,
      g_param_spec_uint("min-embeddings", "Minimum embeddings",
                        "Embeddings a track needs before it is matched (its first crops are "
                        "often partial)",
                        1, 1000, static_cast<guint>(d.min_embeddings), live));
  g_object_class_install_property(
      gobject_class, PROP_TIME_WINDOW,
      g_param_spec_uint("time-window", "Time window",
                        "Seconds: only sightings this recent are matched (0: any age)", 0,
                        G_MAXUINT, 0, live));
  g_object_class_install_property(
      gobject_class, PROP_SAME_CAMERA,
      g_param_spec_boolean("same-camera-constraint", "Same-camera constraint",
                           "Two tracks of one camera at once are never the same identity",
                           d.same_camera_constraint, live));
  g_object_class_install_property(
      gobject_class, PROP_MAX_GALLERY_SIZE,
      g_param_spec_uint("max-gallery-size", "Maximum gallery size",
                        "Sightings kept in memory for matching; the oldest go first (the "
                        "gallery file keeps them for search until ttl or hat-gallery purge)",
                        1, G_MAXUINT, static_cast<guint>(d.max_gallery_size), live));
  g_object_class_install_property(
      gobject_class, PROP_TTL,
      g_param_spec_uint("ttl", "TTL",
                        "Seconds a sighting is kept, in memory and in the gallery file; "
                        "enrolled ones are kept (0: forever)",
                        0, G_MAXUINT, 0, live));
  g_object_class_install_property(
      gobject_class, PROP_SIGHTING_INTERVAL,
      g_param_spec_uint("sighting-interval", "Sighting interval",
                        "Milliseconds between two sightings recorded for one track", 0, 3600000,
                        static_cast<guint>(d.sighting_interval_us / 1000), live));
  g_object_class_install_property(
      gobject_class, PROP_SYNC_INTERVAL,
      g_param_spec_uint("sync-interval", "Sync interval",
                        "Milliseconds between reads of what other processes wrote to the gallery "
                        "(a postgresql:// gallery is also read as soon as another writer commits)",
                        0, 3600000, static_cast<guint>(d.sync_interval_us / 1000), live));
  g_object_class_install_property(
      gobject_class, PROP_GALLERY_LOCATION,
      g_param_spec_string("gallery-location", "Gallery location",
                          "SQLite gallery file (created owner-only if missing) or postgresql:// "
                          "URI, shared by processes, hosts and hat-gallery (NULL: in memory)",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_EVENTS_LOCATION,
      g_param_spec_string("events-location", "Events location",
                          "JSON-lines file the identity events are appended to (NULL: none)",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean("post-messages", "Post messages",
                           "Post a hat-identity element message for each identity event", TRUE,
                           live));
  g_object_class_install_property(
      gobject_class, PROP_THUMBNAILS,
      g_param_spec_uint("thumbnails", "Thumbnails",
                        "JPEG crops kept per identity in the gallery file for hat-gallery serve: "
                        "its best one and the newest others (0: none; raw video in system "
                        "memory only)",
                        0, 1000, static_cast<guint>(d.thumbnails_per_identity), live));
  g_object_class_install_property(
      gobject_class, PROP_THUMBNAIL_SIZE,
      g_param_spec_uint("thumbnail-size", "Thumbnail size", "Height of the thumbnails in pixels",
                        16, 1024, 128, live));
  g_object_class_install_property(
      gobject_class, PROP_IDENTITIES,
      g_param_spec_uint("identities", "Identities", "Identities in the matching gallery", 0,
                        G_MAXUINT, 0, read_only));
  g_object_class_install_property(
      gobject_class, PROP_SIGHTINGS,
      g_param_spec_uint("sightings", "Sightings", "Sightings in the matching gallery", 0, G_MAXUINT,
                        0, read_only));

  gst_element_class_set_static_metadata(
      element_class, "HAT cross-camera identity matching", "Analyzer/Video",
      "Gives the tracks of several cameras global identities from a shared, persistent gallery",
      "hat-reid developers");
  gst_element_class_add_static_pad_template_with_gtype(element_class, &sink_template,
                                                       GST_TYPE_HAT_MATCH_PAD);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  element_class->request_new_pad = GST_DEBUG_FUNCPTR(gst_hat_match_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR(gst_hat_match_release_pad);
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_hat_match_change_state);
  gst_type_mark_as_plugin_api(GST_TYPE_HAT_MATCH_PAD, static_cast<GstPluginAPIFlags>(0));
}

static GObject* gst_hat_match_child_by_index(GstChildProxy* proxy, guint index) {
  GST_OBJECT_LOCK(proxy);
  auto* pad = static_cast<GObject*>(g_list_nth_data(GST_ELEMENT(proxy)->sinkpads, index));
  if (pad != nullptr) g_object_ref(pad);
  GST_OBJECT_UNLOCK(proxy);
  return pad;
}

static guint gst_hat_match_children_count(GstChildProxy* proxy) {
  GST_OBJECT_LOCK(proxy);
  const guint count = GST_ELEMENT(proxy)->numsinkpads;
  GST_OBJECT_UNLOCK(proxy);
  return count;
}

static void gst_hat_match_child_proxy_init(gpointer iface, gpointer) {
  auto* proxy = static_cast<GstChildProxyInterface*>(iface);
  proxy->get_child_by_index = GST_DEBUG_FUNCPTR(gst_hat_match_child_by_index);
  proxy->get_children_count = GST_DEBUG_FUNCPTR(gst_hat_match_children_count);
}

static void gst_hat_match_init(GstHatMatch* self) { self->impl = new MatchElement(); }
