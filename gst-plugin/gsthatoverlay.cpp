/**
 * SECTION:element-hatoverlay
 * @title: hatoverlay
 *
 * Draws the person ROIs into the video: a box per person, its track id (from hattrack) and,
 * when hatmatch has assigned one, its global identity and enrolled name. The colour follows the
 * global identity when there is one, the track id otherwise, so it stays the same for a person
 * across frames; untracked detections are grey.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=vtest.avi ! decodebin ! videoconvert ! hatdetect ! hattrack ! \
 *   hatoverlay line-width=3 ! videoconvert ! autovideosink
 * ]|
 */
#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>
#include <gst/video/video.h>

#include <mutex>
#include <string>

#include "frame/crop.h"
#include "gst-plugin/element_class.h"
#include "gst-plugin/elements.h"
#include "gst-plugin/overlay_painter.h"
#include "gst-plugin/roi_meta.h"
#include "gst-plugin/video_frame.h"

GST_DEBUG_CATEGORY_STATIC(hat_overlay_debug);
#define GST_CAT_DEFAULT hat_overlay_debug

namespace {

// The properties, copied for each frame (the element has no other state).
struct OverlaySettings {
  int line_width = 2;
  double font_scale = 0.5;
  bool show_labels = true;
  std::string object_class = hat::gst::kPersonRoiType;
};

struct OverlayElement {
  std::mutex settings_mutex;
  OverlaySettings settings;
};

}  // namespace

G_BEGIN_DECLS
#define GST_TYPE_HAT_OVERLAY (gst_hat_overlay_get_type())
G_DECLARE_FINAL_TYPE(GstHatOverlay, gst_hat_overlay, GST, HAT_OVERLAY, GstVideoFilter)
G_END_DECLS

struct _GstHatOverlay {
  GstVideoFilter parent;
  OverlayElement* impl;
};

G_DEFINE_TYPE_WITH_CODE(GstHatOverlay, gst_hat_overlay, GST_TYPE_VIDEO_FILTER,
                        GST_DEBUG_CATEGORY_INIT(hat_overlay_debug, "hatoverlay", 0, "HAT overlay"))
GST_ELEMENT_REGISTER_DEFINE(hatoverlay, "hatoverlay", GST_RANK_NONE, GST_TYPE_HAT_OVERLAY)

enum { PROP_0, PROP_LINE_WIDTH, PROP_FONT_SCALE, PROP_SHOW_LABELS, PROP_OBJECT_CLASS };

static void gst_hat_overlay_set_property(GObject* object, guint id, const GValue* value,
                                         GParamSpec* pspec) {
  auto* self = GST_HAT_OVERLAY(object);
  std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
  auto& s = self->impl->settings;
  switch (id) {
    case PROP_LINE_WIDTH:
      s.line_width = g_value_get_int(value);
      break;
    case PROP_FONT_SCALE:
      s.font_scale = g_value_get_double(value);
      break;
    case PROP_SHOW_LABELS:
      s.show_labels = g_value_get_boolean(value);
      break;
    case PROP_OBJECT_CLASS:
      s.object_class = hat::gst::string_value(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
}

static void gst_hat_overlay_get_property(GObject* object, guint id, GValue* value,
                                         GParamSpec* pspec) {
  auto* self = GST_HAT_OVERLAY(object);
  std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
  const auto& s = self->impl->settings;
  switch (id) {
    case PROP_LINE_WIDTH:
      g_value_set_int(value, s.line_width);
      break;
    case PROP_FONT_SCALE:
      g_value_set_double(value, s.font_scale);
      break;
    case PROP_SHOW_LABELS:
      g_value_set_boolean(value, s.show_labels);
      break;
    case PROP_OBJECT_CLASS:
      g_value_set_string(value, s.object_class.c_str());
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
}

static GstFlowReturn gst_hat_overlay_transform_frame_ip(GstVideoFilter* filter,
                                                        GstVideoFrame* frame) {
  auto* self = GST_HAT_OVERLAY(filter);
  OverlaySettings s;
  {
    std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
    s = self->impl->settings;
  }
  const auto view = hat::gst::frame_view(*frame);
  std::vector<hat::gst::OverlayItem> items;
  for (auto* roi : hat::gst::rois_of_type(frame->buffer, s.object_class)) {
    const cv::Rect box = hat::clip_box(hat::gst::roi_box(roi), view.width, view.height);
    if (box.empty()) continue;
    hat::gst::OverlayItem item{box, "", hat::gst::identity_colour(0)};
    const auto track = hat::gst::roi_track(roi);
    const auto identity = hat::gst::roi_identity(roi);
    if (identity) {
      item.rgb = hat::gst::identity_colour(identity->global_id);
      item.label =
          identity->label.empty() ? "G" + std::to_string(identity->global_id) : identity->label;
    } else if (track) {
      item.rgb = hat::gst::identity_colour(track->id);
    }
    if (track) item.label += (item.label.empty() ? "#" : " #") + std::to_string(track->id);
    if (!s.show_labels) item.label.clear();
    items.push_back(std::move(item));
  }
  hat::gst::paint_overlay(view, items, s.line_width, s.font_scale);
  return GST_FLOW_OK;
}

static void gst_hat_overlay_finalize(GObject* object) {
  delete GST_HAT_OVERLAY(object)->impl;
  G_OBJECT_CLASS(gst_hat_overlay_parent_class)->finalize(object);
}

static void gst_hat_overlay_class_init(GstHatOverlayClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* filter_class = GST_VIDEO_FILTER_CLASS(klass);
  gobject_class->set_property = GST_DEBUG_FUNCPTR(gst_hat_overlay_set_property);
  gobject_class->get_property = GST_DEBUG_FUNCPTR(gst_hat_overlay_get_property);
  gobject_class->finalize = GST_DEBUG_FUNCPTR(gst_hat_overlay_finalize);
  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_LINE_WIDTH,
      g_param_spec_int("line-width", "Line width", "Box outline width in pixels", 1, 64, 2, flags));
  g_object_class_install_property(
      gobject_class, PROP_FONT_SCALE,
      g_param_spec_double("font-scale", "Font scale", "Label text size (OpenCV Hershey scale)", 0.1,
                          10.0, 0.5, flags));
  g_object_class_install_property(
      gobject_class, PROP_SHOW_LABELS,
      g_param_spec_boolean("show-labels", "Show labels",
                           "Write track ids, global ids and names above the boxes", TRUE, flags));
  g_object_class_install_property(
      gobject_class, PROP_OBJECT_CLASS,
      g_param_spec_string("object-class", "Object class", "ROI type to draw (empty: every ROI)",
                          hat::gst::kPersonRoiType, flags));

  gst_element_class_set_static_metadata(element_class, "HAT overlay", "Filter/Editor/Video",
                                        "Draws person boxes, track ids and global identities",
                                        "hat-reid developers");
  hat::gst::add_sink_src_templates(element_class, HAT_VIDEO_CAPS);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_hat_overlay_transform_frame_ip);
}

static void gst_hat_overlay_init(GstHatOverlay* self) { self->impl = new OverlayElement(); }
