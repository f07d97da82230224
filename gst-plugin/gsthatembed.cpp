/**
 * SECTION:element-hatembed
 * @title: hatembed
 *
 * Crops every person ROI from the frame, runs the HAT model on it through the project's one
 * preprocessing (so the embedding equals hat-eval's and hat-model's for the same crop) and
 * attaches a "reid-embedding" structure to the ROI (docs/METADATA.md). A tracked person
 * (object_id from hattrack) is re-embedded every reembed-interval frames and carries its last
 * embedding in between. Instances in one process that load the same model on the same device
 * share one copy of the weights and batch their crops into common forward passes.
 *
 * Live: the element never holds a frame longer than time-budget. When inference cannot keep up,
 * it skips embeddings (never frames), serves the longest-waiting people first on the next frames,
 * and counts the skipped ones (the "skipped" property and the hatembed-stats message at EOS).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=vtest.avi ! decodebin ! videoconvert ! hatdetect ! hattrack ! \
 *   hatembed model=runs/default/run/model.hat ! hatoverlay ! videoconvert ! autovideosink
 * ]|
 *
 * On a GPU (device=cuda), the crops are cut, colour-converted, resized and normalised on the GPU
 * by one kernel launch per frame (decoders' NV12 and I420 pass videoconvert unconverted), and the
 * forward pass can run in half precision from CUDA graphs:
 * |[
 * gst-launch-1.0 filesrc location=vtest.avi ! decodebin ! videoconvert ! hatdetect ! hattrack ! \
 *   hatembed model=model.hat device=cuda precision=bf16 channels-last=true cuda-graphs=true ! \
 *   fakesink
 * ]|
 */
#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>
#include <gst/video/video.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "gst-plugin/element_class.h"
#include "gst-plugin/elements.h"
#include "gst-plugin/frame_embedder.h"
#include "gst-plugin/roi_meta.h"
#include "gst-plugin/video_frame.h"

GST_DEBUG_CATEGORY_STATIC(hat_embed_debug);
#define GST_CAT_DEFAULT hat_embed_debug

namespace {

constexpr int kDefaultBatch = 16;
constexpr int kDefaultReembed = 10;
constexpr int kDefaultMinSize = 32;

enum Precision { kPrecisionFp32, kPrecisionBf16, kPrecisionFp16 };
const char* const kPrecisionNames[] = {"fp32", "bf16", "fp16"};

GType precision_get_type() {
  static GType type = 0;
  if (g_once_init_enter(&type)) {
    static const GEnumValue values[] = {
        {kPrecisionFp32, "float32 throughout", "fp32"},
        {kPrecisionBf16, "bfloat16 autocast (convolutions and matrix products)", "bf16"},
        {kPrecisionFp16, "float16 autocast (convolutions and matrix products)", "fp16"},
        {0, nullptr, nullptr}};
    g_once_init_leave(&type, g_enum_register_static("GstHatEmbedPrecision", values));
  }
  return type;
}

// The properties, copied where they are used.
struct EmbedSettings {
  std::string model;
  std::string device = "cpu";
  int batch_size = kDefaultBatch;
  int precision = kPrecisionFp32;
  bool channels_last = false;
  bool cuda_graphs = false;
  int reembed_interval = kDefaultReembed;
  int min_size = kDefaultMinSize;
  std::string object_class = hat::gst::kPersonRoiType;
  double time_budget_ms = -1.0;
};

// From start to stop. The streaming thread uses it; property reads take the embedder (for its
// counters) under the state mutex.
struct EmbedState {
  std::shared_ptr<hat::gst::FrameEmbedder> embedder;
  std::optional<bool> live;  // asked upstream once, when the budget is automatic
  double frame_duration_s = 0.0;
};

struct EmbedElement {
  std::mutex settings_mutex;
  EmbedSettings settings;
  std::mutex state_mutex;
  EmbedState state;
  hat::gst::FrameEmbedder::Stats stopped_stats;  // the counters of the last run, after stop
};

}  // namespace

G_BEGIN_DECLS
#define GST_TYPE_HAT_EMBED (gst_hat_embed_get_type())
G_DECLARE_FINAL_TYPE(GstHatEmbed, gst_hat_embed, GST, HAT_EMBED, GstVideoFilter)
G_END_DECLS

struct _GstHatEmbed {
  GstVideoFilter parent;
  EmbedElement* impl;
};

G_DEFINE_TYPE_WITH_CODE(GstHatEmbed, gst_hat_embed, GST_TYPE_VIDEO_FILTER,
                        GST_DEBUG_CATEGORY_INIT(hat_embed_debug, "hatembed", 0,
                                                "HAT re-ID embedder"))
GST_ELEMENT_REGISTER_DEFINE(hatembed, "hatembed", GST_RANK_NONE, GST_TYPE_HAT_EMBED)

enum {
  PROP_0,
  PROP_MODEL,
  PROP_DEVICE,
  PROP_BATCH_SIZE,
  PROP_PRECISION,
  PROP_CHANNELS_LAST,
  PROP_CUDA_GRAPHS,
  PROP_REEMBED_INTERVAL,
  PROP_MIN_SIZE,
  PROP_OBJECT_CLASS,
  PROP_TIME_BUDGET,
  PROP_EMBEDDED,
  PROP_SKIPPED,
};

static void gst_hat_embed_set_property(GObject* object, guint id, const GValue* value,
                                       GParamSpec* pspec) {
  auto* self = GST_HAT_EMBED(object);
  std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
  auto& s = self->impl->settings;
  switch (id) {
    case PROP_MODEL:
      s.model = hat::gst::string_value(value);
      break;
    case PROP_DEVICE:
      s.device = hat::gst::string_value(value);
      break;
    case PROP_BATCH_SIZE:
      s.batch_size = g_value_get_int(value);
      break;
    case PROP_PRECISION:
      s.precision = g_value_get_enum(value);
      break;
    case PROP_CHANNELS_LAST:
      s.channels_last = g_value_get_boolean(value);
      break;
    case PROP_CUDA_GRAPHS:
      s.cuda_graphs = g_value_get_boolean(value);
      break;
    case PROP_REEMBED_INTERVAL:
      s.reembed_interval = g_value_get_int(value);
      break;
    case PROP_MIN_SIZE:
      s.min_size = g_value_get_int(value);
      break;
    case PROP_OBJECT_CLASS:
      s.object_class = hat::gst::string_value(value);
      break;
    case PROP_TIME_BUDGET:
      s.time_budget_ms = g_value_get_double(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
}

// The counters of the running embedder, or of the last run.
static hat::gst::FrameEmbedder::Stats stats_of(GstHatEmbed* self) {
  std::lock_guard<std::mutex> lock(self->impl->state_mutex);
  const auto& embedder = self->impl->state.embedder;
  return embedder ? embedder->stats() : self->impl->stopped_stats;
}

static void gst_hat_embed_get_property(GObject* object, guint id, GValue* value,
                                       GParamSpec* pspec) {
  auto* self = GST_HAT_EMBED(object);
  if (id == PROP_EMBEDDED || id == PROP_SKIPPED) {
    const auto stats = stats_of(self);
    g_value_set_uint64(value, id == PROP_EMBEDDED ? stats.embedded : stats.skipped);
    return;
  }
  std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
  const auto& s = self->impl->settings;
  switch (id) {
    case PROP_MODEL:
      g_value_set_string(value, s.model.empty() ? nullptr : s.model.c_str());
      break;
    case PROP_DEVICE:
      g_value_set_string(value, s.device.c_str());
      break;
    case PROP_BATCH_SIZE:
      g_value_set_int(value, s.batch_size);
      break;
    case PROP_PRECISION:
      g_value_set_enum(value, s.precision);
      break;
    case PROP_CHANNELS_LAST:
      g_value_set_boolean(value, s.channels_last);
      break;
    case PROP_CUDA_GRAPHS:
      g_value_set_boolean(value, s.cuda_graphs);
      break;
    case PROP_REEMBED_INTERVAL:
      g_value_set_int(value, s.reembed_interval);
      break;
    case PROP_MIN_SIZE:
      g_value_set_int(value, s.min_size);
      break;
    case PROP_OBJECT_CLASS:
      g_value_set_string(value, s.object_class.c_str());
      break;
    case PROP_TIME_BUDGET:
      g_value_set_double(value, s.time_budget_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
}

static gboolean gst_hat_embed_start(GstBaseTransform* trans) {
  auto* self = GST_HAT_EMBED(trans);
  EmbedSettings settings;
  {
    std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
    settings = self->impl->settings;
  }
  if (settings.model.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND,
                      ("no model: set the model property to a HAT checkpoint"), (nullptr));
    return FALSE;
  }
  hat::EngineOptions engine;
  engine.device = settings.device;
  engine.batch_size = settings.batch_size;
  engine.precision = kPrecisionNames[settings.precision];
  engine.channels_last = settings.channels_last;
  engine.cuda_graphs = settings.cuda_graphs;
  std::shared_ptr<hat::gst::FrameEmbedder> embedder;
  try {
    embedder = std::make_shared<hat::gst::FrameEmbedder>(
        settings.model, engine,
        hat::gst::FrameEmbedderOptions{settings.reembed_interval, settings.min_size});
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("%s", e.what()),
                      ("model=%s", settings.model.c_str()));
    return FALSE;
  }
  GST_INFO_OBJECT(self, "model %s (%s, %d-d)", settings.model.c_str(), embedder->preset().c_str(),
                  embedder->dim());
  std::lock_guard<std::mutex> lock(self->impl->state_mutex);
  self->impl->state = EmbedState{std::move(embedder), std::nullopt, 0.0};
  return TRUE;
}

static gboolean gst_hat_embed_stop(GstBaseTransform* trans) {
  auto& impl = *GST_HAT_EMBED(trans)->impl;
  std::shared_ptr<hat::gst::FrameEmbedder> embedder;
  {
    std::lock_guard<std::mutex> lock(impl.state_mutex);
    embedder = std::move(impl.state.embedder);
    if (embedder) impl.stopped_stats = embedder->stats();
  }
  return TRUE;  // dropping the embedder releases the shared engine
}

// The streaming thread's embedder (start() made it, stop() is not concurrent with streaming).
static hat::gst::FrameEmbedder* embedder_of(GstHatEmbed* self) {
  std::lock_guard<std::mutex> lock(self->impl->state_mutex);
  return self->impl->state.embedder.get();
}

static gboolean gst_hat_embed_set_info(GstVideoFilter* filter, GstCaps*, GstVideoInfo* in_info,
                                       GstCaps*, GstVideoInfo*) {
  auto& impl = *GST_HAT_EMBED(filter)->impl;
  std::lock_guard<std::mutex> lock(impl.state_mutex);
  impl.state.frame_duration_s =
      in_info->fps_n > 0 ? static_cast<double>(in_info->fps_d) / in_info->fps_n : 0.0;
  return TRUE;
}

static void post_stats(GstHatEmbed* self) {
  const auto stats = stats_of(self);
  GstStructure* st = gst_structure_new("hatembed-stats", "embedded", G_TYPE_UINT64, stats.embedded,
                                       "skipped", G_TYPE_UINT64, stats.skipped, "reused",
                                       G_TYPE_UINT64, stats.reused, nullptr);
  GST_INFO_OBJECT(self, "%" GST_PTR_FORMAT, st);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), st));
}

static gboolean gst_hat_embed_sink_event(GstBaseTransform* trans, GstEvent* event) {
  auto* self = GST_HAT_EMBED(trans);
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) post_stats(self);
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP)
    if (auto* embedder = embedder_of(self)) embedder->reset();
  return GST_BASE_TRANSFORM_CLASS(gst_hat_embed_parent_class)->sink_event(trans, event);
}

// Whether the input is live: asked upstream once per run, and only when the budget follows it.
static bool input_is_live(GstHatEmbed* self) {
  {
    std::lock_guard<std::mutex> lock(self->impl->state_mutex);
    if (self->impl->state.live) return *self->impl->state.live;
  }
  GstQuery* q = gst_query_new_latency();
  gboolean live = FALSE;
  if (gst_pad_peer_query(GST_BASE_TRANSFORM_SINK_PAD(self), q))
    gst_query_parse_latency(q, &live, nullptr, nullptr);
  gst_query_unref(q);
  GST_INFO_OBJECT(self, "%s input: %s", live ? "live" : "non-live",
                  live ? "embeddings are skipped when they do not fit in the frame time"
                       : "every due embedding is computed");
  std::lock_guard<std::mutex> lock(self->impl->state_mutex);
  self->impl->state.live = live == TRUE;
  return live == TRUE;
}

// Seconds this frame may spend on inference; < 0: unlimited.
static double frame_budget_s(GstHatEmbed* self, double time_budget_ms, GstBuffer* buffer) {
  const bool live = time_budget_ms < 0.0 && input_is_live(self);
  double duration = 0.0;
  {
    std::lock_guard<std::mutex> lock(self->impl->state_mutex);
    duration = self->impl->state.frame_duration_s;
  }
  if (duration <= 0.0 && GST_BUFFER_DURATION_IS_VALID(buffer))
    duration = static_cast<double>(GST_BUFFER_DURATION(buffer)) / GST_SECOND;
  return hat::gst::frame_budget_seconds(time_budget_ms, live, duration);
}

static GstFlowReturn gst_hat_embed_transform_frame_ip(GstVideoFilter* filter,
                                                      GstVideoFrame* frame) {
  auto* self = GST_HAT_EMBED(filter);
  std::string object_class;
  double time_budget_ms = -1.0;
  {
    std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
    object_class = self->impl->settings.object_class;
    time_budget_ms = self->impl->settings.time_budget_ms;
  }
  auto* embedder = embedder_of(self);
  try {
    // Every frame goes through the embedder, with or without ROIs: it counts frames for the
    // re-embed interval.
    const auto rois = hat::gst::rois_of_type(frame->buffer, object_class);
    std::vector<hat::gst::RoiToEmbed> inputs;
    inputs.reserve(rois.size());
    for (auto* roi : rois) {
      const auto track = hat::gst::roi_track(roi);
      inputs.push_back(
          {hat::gst::roi_box(roi), track ? std::optional<int>(track->id) : std::nullopt});
    }
    const double budget = frame_budget_s(self, time_budget_ms, frame->buffer);
    const auto result = embedder->embed(hat::gst::frame_view(*frame), inputs, budget);
    for (size_t i = 0; i < rois.size(); ++i) {
      const auto& e = result.rois[i];
      if (e)
        hat::gst::set_embedding(rois[i], {embedder->preset(), embedder->model_file(), e->data,
                                          e->age, embedder->match_threshold()});
    }
    if (result.skipped > 0)
      GST_DEBUG_OBJECT(self, "%d embeddings skipped (budget %.1f ms)", result.skipped,
                       budget * 1000);
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("embedding failed: %s", e.what()), (nullptr));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

static void gst_hat_embed_finalize(GObject* object) {
  delete GST_HAT_EMBED(object)->impl;
  G_OBJECT_CLASS(gst_hat_embed_parent_class)->finalize(object);
}

static void gst_hat_embed_class_init(GstHatEmbedClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  auto* filter_class = GST_VIDEO_FILTER_CLASS(klass);
  gobject_class->set_property = GST_DEBUG_FUNCPTR(gst_hat_embed_set_property);
  gobject_class->get_property = GST_DEBUG_FUNCPTR(gst_hat_embed_get_property);
  gobject_class->finalize = GST_DEBUG_FUNCPTR(gst_hat_embed_finalize);
  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_READY);
  const auto read_only = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model",
                          "HAT model file: a hat-train checkpoint, a reference HAT state dict or a "
                          "torchvision ResNet state dict (required)",
                          nullptr, flags));
  g_object_class_install_property(
      gobject_class, PROP_DEVICE,
      g_param_spec_string("device", "Device", "Inference device: cpu, cuda or cuda:N", "cpu",
                          flags));
  g_object_class_install_property(
      gobject_class, PROP_BATCH_SIZE,
      g_param_spec_int("batch-size", "Batch size",
                       "Most crops per forward pass (shared by the instances using the model)", 1,
                       1024, kDefaultBatch, flags));
  g_object_class_install_property(
      gobject_class, PROP_PRECISION,
      g_param_spec_enum("precision", "Precision",
                        "Arithmetic of the forward pass; bf16/fp16 run convolutions and matrix "
                        "products in half precision (GPUs with tensor cores: several times "
                        "faster; embeddings keep a cosine of at least 0.999 to fp32's)",
                        precision_get_type(), kPrecisionFp32, flags));
  g_object_class_install_property(
      gobject_class, PROP_CHANNELS_LAST,
      g_param_spec_boolean("channels-last", "Channels last",
                           "Run convolutions on NHWC tensors (the tensor cores' native layout)",
                           FALSE, flags));
  g_object_class_install_property(
      gobject_class, PROP_CUDA_GRAPHS,
      g_param_spec_boolean("cuda-graphs", "CUDA graphs",
                           "Replay forward passes from CUDA graphs captured per batch size "
                           "(powers of two up to batch-size; CUDA devices only)",
                           FALSE, flags));
  g_object_class_install_property(
      gobject_class, PROP_REEMBED_INTERVAL,
      g_param_spec_int("reembed-interval", "Re-embed interval",
                       "Frames between two embeddings of the same track (untracked ROIs: every "
                       "frame)",
                       1, 100000, kDefaultReembed, flags));
  g_object_class_install_property(
      gobject_class, PROP_MIN_SIZE,
      g_param_spec_int("min-size", "Minimum size",
                       "ROIs shorter than this many pixels (after clipping to the frame) get no "
                       "embedding",
                       1, 65535, kDefaultMinSize, flags));
  g_object_class_install_property(
      gobject_class, PROP_OBJECT_CLASS,
      g_param_spec_string("object-class", "Object class", "ROI type to embed (empty: every ROI)",
                          hat::gst::kPersonRoiType, flags));
  g_object_class_install_property(
      gobject_class, PROP_TIME_BUDGET,
      g_param_spec_double("time-budget", "Time budget",
                          "Milliseconds of inference allowed per frame; embeddings that do not fit "
                          "are skipped and done later. -1: 80% of the frame duration on live "
                          "input, unlimited otherwise; 0: unlimited",
                          -1.0, 1e6, -1.0, flags));
  g_object_class_install_property(
      gobject_class, PROP_EMBEDDED,
      g_param_spec_uint64("embedded", "Embedded", "Embeddings computed since start", 0, G_MAXUINT64,
                          0, read_only));
  g_object_class_install_property(
      gobject_class, PROP_SKIPPED,
      g_param_spec_uint64("skipped", "Skipped",
                          "Embeddings that were due but skipped to stay within the time budget", 0,
                          G_MAXUINT64, 0, read_only));

  gst_element_class_set_static_metadata(element_class, "HAT re-ID embedder", "Analyzer/Video",
                                        "Attaches HAT re-identification embeddings to person ROIs",
                                        "hat-reid developers");
  hat::gst::add_sink_src_templates(element_class, HAT_VIDEO_CAPS);
  trans_class->start = GST_DEBUG_FUNCPTR(gst_hat_embed_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_hat_embed_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_hat_embed_sink_event);
  filter_class->set_info = GST_DEBUG_FUNCPTR(gst_hat_embed_set_info);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_hat_embed_transform_frame_ip);
}

static void gst_hat_embed_init(GstHatEmbed* self) { self->impl = new EmbedElement(); }
