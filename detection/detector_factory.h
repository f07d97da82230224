// The person detectors by name, for every tool that lets its user choose one (hatdetect's
// `detector` property, hat-train adapt's miner): one place that knows the names.
#pragma once

#include <memory>
#include <string>

#include "detection/person_detector.h"

namespace hat::gst {

// "background" (fixed cameras, no model file), "hog" (OpenCV's people detector) or "onnx"
// (`model_path`, YOLO- or SSD-style outputs). hat::Error for another name, "onnx" without a
// model, or a model file that cannot be loaded (the message names it).
std::unique_ptr<PersonDetector> make_person_detector(const std::string& name,
                                                     const std::string& model_path,
                                                     const DetectorOptions& options);

// The names make_person_detector accepts, for messages and documentation.
constexpr const char* kDetectorNames = "background, hog or onnx";

}  // namespace hat::gst
