// A frame's person ROIs as one JSON event (the JSON-lines format of hatevents, documented in
// docs/METADATA.md).
#pragma once

#include <gst/gst.h>

#include <string>

#include <nlohmann/json.hpp>

namespace hat::gst {

struct EventOptions {
  std::string camera;  // written as "camera" when not empty
  std::string object_class = "person";
  bool include_embeddings = false;  // embeddings as float arrays (large)
};

nlohmann::json frame_event(GstBuffer* buffer, long frame, const EventOptions& options);

}  // namespace hat::gst
