#include "gst-plugin/roi_meta.h"

#include <algorithm>
#include <cstring>
#include <mutex>

namespace hat::gst {

cv::Rect roi_box(const GstVideoRegionOfInterestMeta* roi) {
  return cv::Rect(static_cast<int>(roi->x), static_cast<int>(roi->y), static_cast<int>(roi->w),
                  static_cast<int>(roi->h));
}

std::vector<GstVideoRegionOfInterestMeta*> rois_of_type(GstBuffer* buffer,
                                                        const std::string& roi_type) {
  std::vector<GstVideoRegionOfInterestMeta*> rois;
  const GQuark wanted = roi_type.empty() ? 0 : g_quark_from_string(roi_type.c_str());
  gpointer state = nullptr;
  while (GstMeta* meta = gst_buffer_iterate_meta_filtered(
             buffer, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)) {
    auto* roi = reinterpret_cast<GstVideoRegionOfInterestMeta*>(meta);
    if (wanted == 0 || roi->roi_type == wanted) rois.push_back(roi);
  }
  return rois;
}

GstVideoRegionOfInterestMeta* add_person_roi(GstBuffer* buffer, const cv::Rect& box,
                                             int frame_width, int frame_height, double confidence,
                                             const char* detector) {
  auto* roi = gst_buffer_add_video_region_of_interest_meta(
      buffer, kPersonRoiType, static_cast<guint>(box.x), static_cast<guint>(box.y),
      static_cast<guint>(box.width), static_cast<guint>(box.height));
  const double fw = std::max(frame_width, 1), fh = std::max(frame_height, 1);
  set_params(roi, gst_structure_new(kDetectionParams,                         //
                                    "confidence", G_TYPE_DOUBLE, confidence,  //
                                    "label", G_TYPE_STRING, kPersonRoiType,   //
                                    "label_id", G_TYPE_INT, 0,                //
                                    "detector", G_TYPE_STRING, detector,      //
                                    "x_min", G_TYPE_DOUBLE, box.x / fw,       //
                                    "y_min", G_TYPE_DOUBLE, box.y / fh,       //
                                    "x_max", G_TYPE_DOUBLE, box.br().x / fw,  //
                                    "y_max", G_TYPE_DOUBLE, box.br().y / fh, nullptr));
  return roi;
}

void set_params(GstVideoRegionOfInterestMeta* roi, GstStructure* params) {
  for (GList* l = roi->params; l != nullptr; l = l->next) {
    auto* existing = static_cast<GstStructure*>(l->data);
    if (gst_structure_has_name(existing, gst_structure_get_name(params))) {
      gst_structure_free(existing);
      l->data = params;
      return;
    }
  }
  gst_video_region_of_interest_meta_add_param(roi, params);
}

std::optional<double> roi_confidence(GstVideoRegionOfInterestMeta* roi) {
  const GstStructure* s = gst_video_region_of_interest_meta_get_param(roi, kDetectionParams);
  double confidence = 0.0;
  if (s == nullptr || !gst_structure_get_double(s, "confidence", &confidence)) return std::nullopt;
  return confidence;
}

void set_track(GstVideoRegionOfInterestMeta* roi, const TrackInfo& track) {
  set_params(roi, gst_structure_new(kObjectIdParams, "id", G_TYPE_INT, track.id,  //
                                    "state", G_TYPE_STRING, track.state.c_str(),  //
                                    "age", G_TYPE_INT, track.age, nullptr));
}

std::optional<TrackInfo> roi_track(GstVideoRegionOfInterestMeta* roi) {
  const GstStructure* s = gst_video_region_of_interest_meta_get_param(roi, kObjectIdParams);
  TrackInfo track;
  if (s == nullptr || !gst_structure_get_int(s, "id", &track.id)) return std::nullopt;
  if (const char* state = gst_structure_get_string(s, "state")) track.state = state;
  gst_structure_get_int(s, "age", &track.age);
  return track;
}

void set_embedding(GstVideoRegionOfInterestMeta* roi, const Embedding& embedding) {
  GBytes* bytes = g_bytes_new(embedding.data.data(), embedding.data.size() * sizeof(float));
  GstStructure* params = gst_structure_new(kEmbeddingParams,                                 //
                                           "model", G_TYPE_STRING, embedding.model.c_str(),  //
                                           "model-file", G_TYPE_STRING,
                                           embedding.model_file.c_str(),  //
                                           "dim", G_TYPE_INT,
                                           static_cast<int>(embedding.data.size()),  //
                                           "data", G_TYPE_BYTES, bytes,              //
                                           "age", G_TYPE_INT, embedding.age, nullptr);
  if (embedding.match_threshold > 0)
    gst_structure_set(params, "match-threshold", G_TYPE_DOUBLE, embedding.match_threshold, nullptr);
  set_params(roi, params);
  g_bytes_unref(bytes);
}

std::optional<Embedding> roi_embedding(GstVideoRegionOfInterestMeta* roi) {
  const GstStructure* s = gst_video_region_of_interest_meta_get_param(roi, kEmbeddingParams);
  if (s == nullptr) return std::nullopt;
  GBytes* bytes = nullptr;
  int dim = 0;
  if (!gst_structure_get(s, "data", G_TYPE_BYTES, &bytes, "dim", G_TYPE_INT, &dim, nullptr))
    return std::nullopt;
  gsize size = 0;
  const void* data = g_bytes_get_data(bytes, &size);
  std::optional<Embedding> result;
  if (dim > 0 && size == static_cast<gsize>(dim) * sizeof(float)) {
    Embedding e;
    e.data.resize(static_cast<size_t>(dim));
    std::memcpy(e.data.data(), data, size);
    if (const char* model = gst_structure_get_string(s, "model")) e.model = model;
    if (const char* file = gst_structure_get_string(s, "model-file")) e.model_file = file;
    gst_structure_get_int(s, "age", &e.age);
    gst_structure_get_double(s, "match-threshold", &e.match_threshold);
    result = std::move(e);
  }
  g_bytes_unref(bytes);
  return result;
}

void set_identity(GstVideoRegionOfInterestMeta* roi, const Identity& identity) {
  GstStructure* s = gst_structure_new(kIdentityParams, "global-id", G_TYPE_INT, identity.global_id,
                                      "distance", G_TYPE_DOUBLE, identity.distance,  //
                                      "label", G_TYPE_STRING, identity.label.c_str(), nullptr);
  if (!identity.event.empty()) {
    gst_structure_set(s, "event", G_TYPE_STRING, identity.event.c_str(), nullptr);
    GValue array = G_VALUE_INIT;
    gst_value_array_init(&array, static_cast<guint>(identity.candidates.size()));
    for (const auto& c : identity.candidates) {
      GValue item = G_VALUE_INIT;
      g_value_init(&item, GST_TYPE_STRUCTURE);
      GstStructure* cs = gst_structure_new("candidate", "global-id", G_TYPE_INT, c.global_id,
                                           "distance", G_TYPE_DOUBLE, c.distance, "label",
                                           G_TYPE_STRING, c.label.c_str(), nullptr);
      gst_value_set_structure(&item, cs);
      gst_structure_free(cs);
      gst_value_array_append_and_take_value(&array, &item);
    }
    gst_structure_take_value(s, "candidates", &array);
  }
  set_params(roi, s);
}

std::optional<Identity> roi_identity(GstVideoRegionOfInterestMeta* roi) {
  const GstStructure* s = gst_video_region_of_interest_meta_get_param(roi, kIdentityParams);
  Identity identity;
  if (s == nullptr || !gst_structure_get_int(s, "global-id", &identity.global_id))
    return std::nullopt;
  gst_structure_get_double(s, "distance", &identity.distance);
  if (const char* label = gst_structure_get_string(s, "label")) identity.label = label;
  if (const char* event = gst_structure_get_string(s, "event")) identity.event = event;
  if (const GValue* array = gst_structure_get_value(s, "candidates");
      array != nullptr && GST_VALUE_HOLDS_ARRAY(array)) {
    for (guint i = 0; i < gst_value_array_get_size(array); ++i) {
      const GValue* item = gst_value_array_get_value(array, i);
      if (!GST_VALUE_HOLDS_STRUCTURE(item)) continue;
      const GstStructure* cs = gst_value_get_structure(item);
      IdentityCandidate c;
      gst_structure_get_int(cs, "global-id", &c.global_id);
      gst_structure_get_double(cs, "distance", &c.distance);
      if (const char* label = gst_structure_get_string(cs, "label")) c.label = label;
      identity.candidates.push_back(std::move(c));
    }
  }
  return identity;
}

namespace {

// Copies the marker with the frame through copies and scaling (it describes the frame, not its
// pixels).
gboolean transform_detect_frame(GstBuffer* transbuf, GstCustomMeta* meta, GstBuffer*, GQuark,
                                gpointer, gpointer) {
  GstCustomMeta* copy = gst_buffer_add_custom_meta(transbuf, kDetectFrameMeta);
  if (copy == nullptr) return FALSE;
  gst_structure_set_value(
      gst_custom_meta_get_structure(copy), "detector-ran",
      gst_structure_get_value(gst_custom_meta_get_structure(meta), "detector-ran"));
  return TRUE;
}

void register_detect_frame_meta() {
  static std::once_flag once;
  std::call_once(once, [] {
    // An application linking this code and the plugin holds two copies of it: the first
    // registration wins.
    if (gst_meta_get_info(kDetectFrameMeta) != nullptr) return;
    static const gchar* tags[] = {nullptr};
    gst_meta_register_custom(kDetectFrameMeta, tags, transform_detect_frame, nullptr, nullptr);
  });
}

}  // namespace

void mark_detection_frame(GstBuffer* buffer, bool detector_ran) {
  register_detect_frame_meta();
  GstCustomMeta* meta = gst_buffer_get_custom_meta(buffer, kDetectFrameMeta);
  if (meta == nullptr) meta = gst_buffer_add_custom_meta(buffer, kDetectFrameMeta);
  gst_structure_set(gst_custom_meta_get_structure(meta), "detector-ran", G_TYPE_BOOLEAN,
                    detector_ran ? TRUE : FALSE, nullptr);
}

std::optional<bool> detection_ran(GstBuffer* buffer) {
  register_detect_frame_meta();
  GstCustomMeta* meta = gst_buffer_get_custom_meta(buffer, kDetectFrameMeta);
  gboolean ran = FALSE;
  if (meta == nullptr ||
      !gst_structure_get_boolean(gst_custom_meta_get_structure(meta), "detector-ran", &ran))
    return std::nullopt;
  return ran == TRUE;
}

}  // namespace hat::gst
