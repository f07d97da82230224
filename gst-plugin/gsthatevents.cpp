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

#include <memory>
#include <mutex>
#include <string>

#include "base/error.h"
#include "base/json_lines_writer.h"
#include "gst-plugin/element_class.h"
#include "gst-plugin/elements.h"
#include "gst-plugin/frame_events.h"
#include "gst-plugin/roi_meta.h"

GST_DEBUG_CATEGORY_STATIC(hat_events_debug);
#define GST_CAT_DEFAULT hat_events_debug

namespace {

// The properties, copied where they are used.
struct EventsSettings {
  std::string location;
  bool append = false;
  bool all_frames = false;
  hat::gst::EventOptions options;
};

// From start to stop; the streaming thread's.
struct EventsState {
  std::unique_ptr<hat::JsonLinesWriter> file;
  long frame = 0;
};

struct EventsElement {
  std::mutex settings_mutex;
  EventsSettings settings;
  EventsState state;
};

}  // namespace

G_BEGIN_DECLS
#define GST_TYPE_HAT_EVENTS (gst_hat_events_get_type())
G_DECLARE_FINAL_TYPE(GstHatEvents, gst_hat_events, GST, HAT_EVENTS, GstBaseTransform)
G_END_DECLS

struct _GstHatEvents {
  GstBaseTransform parent;
  EventsElement* impl;
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
  std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
  auto& s = self->impl->settings;
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
}

static void gst_hat_events_get_property(GObject* object, guint id, GValue* value,
                                        GParamSpec* pspec) {
  auto* self = GST_HAT_EVENTS(object);
  std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
  const auto& s = self->impl->settings;
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
}

static gboolean gst_hat_events_start(GstBaseTransform* trans) {
  auto* self = GST_HAT_EVENTS(trans);
  EventsSettings settings;
  {
    std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
    settings = self->impl->settings;
  }
  if (settings.location.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("no location: set where the events go"),
                      (nullptr));
    return FALSE;
  }
  auto& s = self->impl->state;
  try {
    s.file = std::make_unique<hat::JsonLinesWriter>(
        settings.location, settings.append ? hat::JsonLinesWriter::Mode::kAppend
                                           : hat::JsonLinesWriter::Mode::kReplace);
  } catch (const hat::Error& e) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("%s", e.what()), (nullptr));
    return FALSE;
  }
  s.frame = 0;
  return TRUE;
}

static gboolean gst_hat_events_stop(GstBaseTransform* trans) {
  auto* self = GST_HAT_EVENTS(trans);
  const auto file = std::move(self->impl->state.file);
  if (!file) return TRUE;
  try {
    file->close();
  } catch (const hat::Error& e) {
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("%s", e.what()), (nullptr));
    return FALSE;
  }
  return TRUE;
}

static GstFlowReturn gst_hat_events_transform_ip(GstBaseTransform* trans, GstBuffer* buffer) {
  auto* self = GST_HAT_EVENTS(trans);
  auto& s = self->impl->state;
  hat::gst::EventOptions options;
  bool all_frames = false;
  {
    std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
    options = self->impl->settings.options;
    all_frames = self->impl->settings.all_frames;
  }
  const auto event = hat::gst::frame_event(buffer, s.frame++, options);
  if (!all_frames && event["objects"].empty()) return GST_FLOW_OK;
  try {
    s.file->write(event);
  } catch (const hat::Error& e) {
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("%s", e.what()), (nullptr));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

static void gst_hat_events_finalize(GObject* object) {
  delete GST_HAT_EVENTS(object)->impl;  // closes a file still open
  G_OBJECT_CLASS(gst_hat_events_parent_class)->finalize(object);
}

static void gst_hat_events_class_init(GstHatEventsClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  gobject_class->set_property = GST_DEBUG_FUNCPTR(gst_hat_events_set_property);
  gobject_class->get_property = GST_DEBUG_FUNCPTR(gst_hat_events_get_property);
  gobject_class->finalize = GST_DEBUG_FUNCPTR(gst_hat_events_finalize);
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
  trans_class->start = GST_DEBUG_FUNCPTR(gst_hat_events_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_hat_events_stop);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_hat_events_transform_ip);
  trans_class->passthrough_on_same_caps = TRUE;
}

static void gst_hat_events_init(GstHatEvents* self) {
  self->impl = new EventsElement();
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
}
