/**
 * SECTION:element-hatevents
 * @title: hatevents
 *
 * Writes the person ROIs of every frame (boxes, confidences, track ids, embedding status,
 * global identities) as JSON lines to a file, one line per frame with at least one ROI, flushed
 * as it goes so another process can follow it live. Video passes through untouched. The format
 * is in docs/METADATA.md.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=vtest.avi ! decodebin ! videoconvert ! hatdetect ! hattrack ! \
 *   hatevents location=events.jsonl camera-id=entrance ! fakesink
 * ]|
 */
#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "gst-plugin/element_class.h"
#include "gst-plugin/elements.h"
#include "gst-plugin/frame_events.h"
#include "gst-plugin/roi_meta.h"

GST_DEBUG_CATEGORY_STATIC(hat_events_debug);
#define GST_CAT_DEFAULT hat_events_debug

namespace {

struct EventsState {
  std::string location;
  bool append = false;
  bool all_frames = false;
  hat::gst::EventOptions options;
  FILE* file = nullptr;
  long frame = 0;
};

}  // namespace

G_BEGIN_DECLS
#define GST_TYPE_HAT_EVENTS (gst_hat_events_get_type())
G_DECLARE_FINAL_TYPE(GstHatEvents, gst_hat_events, GST, HAT_EVENTS, GstBaseTransform)
G_END_DECLS

struct _GstHatEvents {
  GstBaseTransform parent;
  EventsState* state;
};

G_DEFINE_TYPE_WITH_CODE(GstHatEvents, gst_hat_events, GST_TYPE_BASE_TRANSFORM,
                        GST_DEBUG_CATEGORY_INIT(hat_events_debug, "hatevents", 0,
                                                "HAT JSON-lines events"))
GST_ELEMENT_REGISTER_DEFINE(hatevents, "hatevents", GST_RANK_NONE, GST_TYPE_HAT_EVENTS)

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_APPEND,
  PROP_ALL_FRAMES,
  PROP_CAMERA_ID,
  PROP_INCLUDE_EMBEDDINGS,
  PROP_OBJECT_CLASS,
};

static void gst_hat_events_set_property(GObject* object, guint id, const GValue* value,
                                        GParamSpec* pspec) {
  auto* self = GST_HAT_EVENTS(object);
  auto& s = *self->state;
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_LOCATION:
      s.location = hat::gst::string_value(value);
      break;
    case PROP_APPEND:
      s.append = g_value_get_boolean(value);
      break;
    case PROP_ALL_FRAMES:
      s.all_frames = g_value_get_boolean(value);
      break;
    case PROP_CAMERA_ID:
      s.options.camera = hat::gst::string_value(value);
      break;
    case PROP_INCLUDE_EMBEDDINGS:
      s.options.include_embeddings = g_value_get_boolean(value);
      break;
    case PROP_OBJECT_CLASS:
      s.options.object_class = hat::gst::string_value(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_hat_events_get_property(GObject* object, guint id, GValue* value,
                                        GParamSpec* pspec) {
  auto* self = GST_HAT_EVENTS(object);
  const auto& s = *self->state;
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_LOCATION:
      g_value_set_string(value, s.location.empty() ? nullptr : s.location.c_str());
      break;
    case PROP_APPEND:
      g_value_set_boolean(value, s.append);
      break;
    case PROP_ALL_FRAMES:
      g_value_set_boolean(value, s.all_frames);
      break;
    case PROP_CAMERA_ID:
      g_value_set_string(value, s.options.camera.c_str());
      break;
    case PROP_INCLUDE_EMBEDDINGS:
      g_value_set_boolean(value, s.options.include_embeddings);
      break;
    case PROP_OBJECT_CLASS:
      g_value_set_string(value, s.options.object_class.c_str());
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK(self);
}

static gboolean gst_hat_events_start(GstBaseTransform* trans) {
  auto* self = GST_HAT_EVENTS(trans);
  auto& s = *self->state;
  if (s.location.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("no location: set where the events go"),
                      (nullptr));
    return FALSE;
  }
  s.file = std::fopen(s.location.c_str(), s.append ? "a" : "w");
  if (s.file == nullptr) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE,
                      ("%s: cannot open for writing: %s", s.location.c_str(), std::strerror(errno)),
                      (nullptr));
    return FALSE;
  }
  s.frame = 0;
  return TRUE;
}

static gboolean gst_hat_events_stop(GstBaseTransform* trans) {
  auto* self = GST_HAT_EVENTS(trans);
  auto& s = *self->state;
  if (s.file != nullptr && std::fclose(s.file) != 0) {
    s.file = nullptr;
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("%s: %s", s.location.c_str(), std::strerror(errno)),
                      (nullptr));
    return FALSE;
  }
  s.file = nullptr;
  return TRUE;
}

static GstFlowReturn gst_hat_events_transform_ip(GstBaseTransform* trans, GstBuffer* buffer) {
  auto* self = GST_HAT_EVENTS(trans);
  auto& s = *self->state;
  GST_OBJECT_LOCK(self);
  const auto options = s.options;
  const bool all_frames = s.all_frames;
  GST_OBJECT_UNLOCK(self);
  const auto event = hat::gst::frame_event(buffer, s.frame++, options);
  if (!all_frames && event["objects"].empty()) return GST_FLOW_OK;
  const std::string line = event.dump() + "\n";
  // Flushed per line: a reader following the file sees whole events, and a full disk is
  // reported at the frame that hit it.
  if (std::fwrite(line.data(), 1, line.size(), s.file) != line.size() || std::fflush(s.file) != 0) {
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE,
                      ("%s: write failed: %s", s.location.c_str(), std::strerror(errno)),
                      (nullptr));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

static void gst_hat_events_finalize(GObject* object) {
  auto* self = GST_HAT_EVENTS(object);
  if (self->state->file != nullptr) std::fclose(self->state->file);
  delete self->state;
  G_OBJECT_CLASS(gst_hat_events_parent_class)->finalize(object);
}

static void gst_hat_events_class_init(GstHatEventsClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  gobject_class->set_property = gst_hat_events_set_property;
  gobject_class->get_property = gst_hat_events_get_property;
  gobject_class->finalize = gst_hat_events_finalize;
  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Location", "JSON-lines file to write (required)", nullptr,
                          flags));
  g_object_class_install_property(
      gobject_class, PROP_APPEND,
      g_param_spec_boolean("append", "Append", "Append to an existing file instead of replacing it",
                           FALSE, flags));
  g_object_class_install_property(
      gobject_class, PROP_ALL_FRAMES,
      g_param_spec_boolean("all-frames", "All frames", "Also write frames without any ROI", FALSE,
                           flags));
  g_object_class_install_property(
      gobject_class, PROP_CAMERA_ID,
      g_param_spec_string("camera-id", "Camera id",
                          "Camera name written into every event (empty: none)", "", flags));
  g_object_class_install_property(
      gobject_class, PROP_INCLUDE_EMBEDDINGS,
      g_param_spec_boolean("include-embeddings", "Include embeddings",
                           "Write each ROI's embedding as a float array", FALSE, flags));
  g_object_class_install_property(
      gobject_class, PROP_OBJECT_CLASS,
      g_param_spec_string("object-class", "Object class", "ROI type to write (empty: every ROI)",
                          hat::gst::kPersonRoiType, flags));

  gst_element_class_set_static_metadata(element_class, "HAT events writer", "Sink/Metadata",
                                        "Writes person ROIs, tracks and identities as JSON lines",
                                        "hat-reid developers");
  hat::gst::add_sink_src_templates(element_class, "ANY");
  trans_class->start = gst_hat_events_start;
  trans_class->stop = gst_hat_events_stop;
  trans_class->transform_ip = gst_hat_events_transform_ip;
  trans_class->passthrough_on_same_caps = TRUE;
}

static void gst_hat_events_init(GstHatEvents* self) {
  self->state = new EventsState();
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
}
