#include "detection/detector_factory.h"

#include "base/error.h"
#include "detection/background_detector.h"

namespace hat::gst {

std::unique_ptr<PersonDetector> make_person_detector(const std::string& name,
                                                     const std::string& model_path,
                                                     const DetectorOptions& options) {
  if (name == "background") return make_background_detector(options);
  if (name == "hog") return make_hog_detector(options);
  if (name == "onnx") {
    if (model_path.empty()) throw Error("detector onnx needs a model file (model-location)");
    return make_onnx_detector(model_path, options);
  }
  throw Error("detector must be " + std::string(kDetectorNames) + ", not '" + name + "'");
}

}  // namespace hat::gst
