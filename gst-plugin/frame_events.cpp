#include "gst-plugin/frame_events.h"

#include "gst-plugin/roi_meta.h"

namespace hat::gst {

nlohmann::json frame_event(GstBuffer* buffer, long frame, const EventOptions& options) {
  nlohmann::json event;
  event["frame"] = frame;
  if (GST_BUFFER_PTS_IS_VALID(buffer)) event["pts_ns"] = GST_BUFFER_PTS(buffer);
  if (!options.camera.empty()) event["camera"] = options.camera;
  nlohmann::json objects = nlohmann::json::array();
  for (auto* roi : rois_of_type(buffer, options.object_class)) {
    nlohmann::json o;
    o["type"] = g_quark_to_string(roi->roi_type);
    o["box"] = {roi->x, roi->y, roi->w, roi->h};
    if (auto c = roi_confidence(roi)) o["confidence"] = *c;
    if (auto t = roi_track(roi)) {
      o["track_id"] = t->id;
      o["track_state"] = t->state;
    }
    if (auto e = roi_embedding(roi)) {
      o["embedding_model"] = e->model;
      o["embedding_age"] = e->age;
      if (options.include_embeddings) o["embedding"] = e->data;
    }
    if (auto id = roi_identity(roi)) {
      o["global_id"] = id->global_id;
      o["distance"] = id->distance;
      if (!id->label.empty()) o["label"] = id->label;
    }
    objects.push_back(std::move(o));
  }
  event["objects"] = std::move(objects);
  return event;
}

}  // namespace hat::gst
