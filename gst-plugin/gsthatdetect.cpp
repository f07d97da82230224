/**
 * SECTION:element-hatdetect
 * @title: hatdetect
 *
 * Finds people in raw video and attaches each as a GstVideoRegionOfInterestMeta of type
 * "person" with a "detection" parameter structure (docs/METADATA.md). The default detector
 * (detector=auto without model-location) is the background detector for fixed cameras: a
 * background model gives the moving foreground, and a ground-plane prior it learns from the video
 * (person height against image row) rejects implausible blobs, splits blobs of several people and
 * joins fragments of one. It needs no model file and learns the camera from its first frames, so
 * one element serves one fixed camera. detector=hog runs OpenCV's HOG people detector (moving
 * cameras; people taller than 128/scale pixels); model-location runs an ONNX detector (YOLO- or
 * SSD-style outputs) through OpenCV DNN: the site detector that `hat-train detector` learns from
 * a camera's own unlabeled video (RUN_DIR/detector.onnx), or a YOLO or SSD model the user brings.
 * A model exported at a fixed size is fed at that size, the frame letterboxed into it. ROIs that
 * an upstream detector attached are left alone, so any other detector can replace this element.
 *
 * The default threshold is below hattrack's high-threshold on purpose: the weak boxes between
 * them only continue tracks (ByteTrack's second association stage), they never start one.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=vtest.avi ! decodebin ! videoconvert ! \
 *   hatdetect ! hattrack ! hatoverlay ! videoconvert ! autovideosink
 * ]|
 * With the site detector trained for that camera:
 * |[
 * gst-launch-1.0 filesrc location=vtest.avi ! decodebin ! videoconvert ! \
 *   hatdetect model-location=runs/default/detector/detector.onnx ! hattrack ! fakesink
 * ]|
 */
#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>
#include <gst/video/video.h>

#include <memory>
#include <mutex>
#include <string>

#include "detection/detector_factory.h"
#include "gst-plugin/element_class.h"
#include "gst-plugin/elements.h"
#include "gst-plugin/roi_meta.h"
#include "gst-plugin/video_frame.h"

GST_DEBUG_CATEGORY_STATIC(hat_detect_debug);
#define GST_CAT_DEFAULT hat_detect_debug

namespace {

// The properties, copied where they are used.
// detector=auto: onnx with a model-location, background without.
enum DetectorKind { kDetectorAuto, kDetectorBackground, kDetectorHog, kDetectorOnnx };

struct DetectSettings {
  hat::gst::DetectorOptions options = [] {
    hat::gst::DetectorOptions o;
    o.threshold = 0.3;
    return o;
  }();
  DetectorKind detector = kDetectorAuto;
  std::string model_location;
  guint interval = 1;
};

// From start to stop; the streaming thread's.
struct DetectState {
  std::unique_ptr<hat::gst::PersonDetector> detector;
  guint64 frame = 0;
};

struct DetectElement {
  std::mutex settings_mutex;
  DetectSettings settings;
  DetectState state;
};

}  // namespace

G_BEGIN_DECLS
#define GST_TYPE_HAT_DETECT (gst_hat_detect_get_type())
G_DECLARE_FINAL_TYPE(GstHatDetect, gst_hat_detect, GST, HAT_DETECT, GstVideoFilter)
G_END_DECLS

struct _GstHatDetect {
  GstVideoFilter parent;
  DetectElement* impl;
};

G_DEFINE_TYPE_WITH_CODE(GstHatDetect, gst_hat_detect, GST_TYPE_VIDEO_FILTER,
                        GST_DEBUG_CATEGORY_INIT(hat_detect_debug, "hatdetect", 0,
                                                "HAT person detector"))
GST_ELEMENT_REGISTER_DEFINE(hatdetect, "hatdetect", GST_RANK_NONE, GST_TYPE_HAT_DETECT)

#define HAT_TYPE_DETECT_DETECTOR (hat_detect_detector_get_type())
static GType hat_detect_detector_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {kDetectorAuto, "onnx with model-location, background without", "auto"},
      {kDetectorBackground,
       "Background model with a learned ground-plane prior (fixed cameras, no model file)",
       "background"},
      {kDetectorHog, "OpenCV's HOG people detector (no model file, people over 128/scale px)",
       "hog"},
      {kDetectorOnnx, "ONNX detector of model-location (YOLO- or SSD-style output)", "onnx"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) {
    const GType t = g_enum_register_static("HatDetectDetector", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

enum {
  PROP_0,
  PROP_DETECTOR,
  PROP_THRESHOLD,
  PROP_MIN_SIZE,
  PROP_SCALE,
  PROP_INFERENCE_INTERVAL,
  PROP_MODEL_LOCATION,
  PROP_CLASS_ID,
  PROP_INPUT_SIZE,
};

static void gst_hat_detect_set_property(GObject* object, guint id, const GValue* value,
                                        GParamSpec* pspec) {
  auto* self = GST_HAT_DETECT(object);
  std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
  auto& s = self->impl->settings;
  switch (id) {
    case PROP_DETECTOR:
      s.detector = static_cast<DetectorKind>(g_value_get_enum(value));
      break;
    case PROP_THRESHOLD:
      s.options.threshold = g_value_get_double(value);
      break;
    case PROP_MIN_SIZE:
      s.options.min_size = g_value_get_int(value);
      break;
    case PROP_SCALE:
      s.options.scale = g_value_get_double(value);
      break;
    case PROP_INFERENCE_INTERVAL:
      s.interval = g_value_get_uint(value);
      break;
    case PROP_MODEL_LOCATION:
      s.model_location = hat::gst::string_value(value);
      break;
    case PROP_CLASS_ID:
      s.options.class_id = g_value_get_int(value);
      break;
    case PROP_INPUT_SIZE:
      s.options.input_size = g_value_get_int(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
}

static void gst_hat_detect_get_property(GObject* object, guint id, GValue* value,
                                        GParamSpec* pspec) {
  auto* self = GST_HAT_DETECT(object);
  std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
  const auto& s = self->impl->settings;
  switch (id) {
    case PROP_DETECTOR:
      g_value_set_enum(value, s.detector);
      break;
    case PROP_THRESHOLD:
      g_value_set_double(value, s.options.threshold);
      break;
    case PROP_MIN_SIZE:
      g_value_set_int(value, s.options.min_size);
      break;
    case PROP_SCALE:
      g_value_set_double(value, s.options.scale);
      break;
    case PROP_INFERENCE_INTERVAL:
      g_value_set_uint(value, s.interval);
      break;
    case PROP_MODEL_LOCATION:
      g_value_set_string(value, s.model_location.empty() ? nullptr : s.model_location.c_str());
      break;
    case PROP_CLASS_ID:
      g_value_set_int(value, s.options.class_id);
      break;
    case PROP_INPUT_SIZE:
      g_value_set_int(value, s.options.input_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
}

static gboolean gst_hat_detect_start(GstBaseTransform* trans) {
  auto* self = GST_HAT_DETECT(trans);
  auto& s = self->impl->state;
  DetectSettings settings;
  {
    std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
    settings = self->impl->settings;
  }
  const auto& options = settings.options;
  const std::string& location = settings.model_location;
  static const char* const names[] = {"", "background", "hog", "onnx"};
  const char* name = settings.detector != kDetectorAuto ? names[settings.detector]
                     : location.empty()                 ? "background"
                                                        : "onnx";
  try {
    s.detector = hat::gst::make_person_detector(name, location, options);
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("%s", e.what()),
                      ("detector=%s model-location=%s", name, location.c_str()));
    return FALSE;
  }
  s.frame = 0;
  GST_INFO_OBJECT(self, "detector: %s", s.detector->name());
  return TRUE;
}

static gboolean gst_hat_detect_stop(GstBaseTransform* trans) {
  GST_HAT_DETECT(trans)->impl->state.detector.reset();
  return TRUE;
}

static GstFlowReturn gst_hat_detect_transform_frame_ip(GstVideoFilter* filter,
                                                       GstVideoFrame* frame) {
  auto* self = GST_HAT_DETECT(filter);
  auto& s = self->impl->state;
  guint interval = 1;
  {
    std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
    interval = self->impl->settings.interval;
  }
  const bool run = s.frame++ % interval == 0;
  hat::gst::mark_detection_frame(frame->buffer, run);
  if (!run) return GST_FLOW_OK;
  try {
    const auto view = hat::gst::frame_view(*frame);
    for (const auto& d : s.detector->detect(view))
      hat::gst::add_person_roi(frame->buffer, d.box, view.width, view.height, d.confidence,
                               s.detector->name());
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("detection failed: %s", e.what()), (nullptr));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

static void gst_hat_detect_finalize(GObject* object) {
  delete GST_HAT_DETECT(object)->impl;
  G_OBJECT_CLASS(gst_hat_detect_parent_class)->finalize(object);
}

static void gst_hat_detect_class_init(GstHatDetectClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  auto* filter_class = GST_VIDEO_FILTER_CLASS(klass);
  gobject_class->set_property = GST_DEBUG_FUNCPTR(gst_hat_detect_set_property);
  gobject_class->get_property = GST_DEBUG_FUNCPTR(gst_hat_detect_get_property);
  gobject_class->finalize = GST_DEBUG_FUNCPTR(gst_hat_detect_finalize);
  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      gobject_class, PROP_DETECTOR,
      g_param_spec_enum("detector", "Detector", "Which person detector runs",
                        HAT_TYPE_DETECT_DETECTOR, kDetectorAuto, flags));
  g_object_class_install_property(
      gobject_class, PROP_THRESHOLD,
      g_param_spec_double("threshold", "Threshold",
                          "Minimum detection confidence (background: foreground fill times "
                          "agreement with the ground plane's height; HOG: logistic of the SVM "
                          "margin). Boxes below hattrack's high-threshold only continue tracks",
                          0.0, 1.0, 0.3, flags));
  g_object_class_install_property(
      gobject_class, PROP_MIN_SIZE,
      g_param_spec_int("min-size", "Minimum size", "Minimum person height in pixels", 0, 65535, 0,
                       flags));
  g_object_class_install_property(
      gobject_class, PROP_SCALE,
      g_param_spec_double("scale", "Scale",
                          "Resize factor applied to the frame before detection (HOG finds "
                          "people taller than 128/scale pixels; above 1 finds smaller people, "
                          "slower; below 1 makes the background detector faster)",
                          0.1, 8.0, 1.0, flags));
  g_object_class_install_property(
      gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint("inference-interval", "Inference interval",
                        "Run the detector on every Nth frame (hattrack predicts in between)", 1,
                        1000, 1,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_MODEL_LOCATION,
      g_param_spec_string("model-location", "Model location",
                          "ONNX person detector (YOLOv5/YOLOv8- or SSD-style output), run by "
                          "detector=auto or onnx: a site detector from hat-train detector, or "
                          "a YOLO/SSD export",
                          nullptr, flags));
  g_object_class_install_property(
      gobject_class, PROP_CLASS_ID,
      g_param_spec_int("class-id", "Class id",
                       "ONNX detector: the person class (-1: 0 for YOLO, 1 for SSD outputs)", -1,
                       9999, -1, flags));
  g_object_class_install_property(
      gobject_class, PROP_INPUT_SIZE,
      g_param_spec_int("input-size", "Input size",
                       "ONNX detector with dynamic input dimensions: side of the square, "
                       "letterboxed network input (a model of fixed size is fed at its own)",
                       32, 4096, 640, flags));

  gst_element_class_set_static_metadata(element_class, "HAT person detector", "Analyzer/Video",
                                        "Detects people and attaches them as person ROIs",
                                        "hat-reid developers");
  hat::gst::add_sink_src_templates(element_class, HAT_VIDEO_CAPS);
  trans_class->start = GST_DEBUG_FUNCPTR(gst_hat_detect_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_hat_detect_stop);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_hat_detect_transform_frame_ip);
}

static void gst_hat_detect_init(GstHatDetect* self) { self->impl = new DetectElement(); }
