// The site person detector (model/person_detector_net.h) as an ONNX file: the same computation,
// batch 1 at the network's fixed input, BatchNorm folded into the convolutions, ending in the
// decoded [1, 5, cells] table (input "images", RGB in 0..1; output "boxes": cx, cy, w, h in input
// pixels and the person score). hatdetect's ONNX path reads the input size from the file and
// decodes the table as a one-class YOLOv8 output.
#pragma once

#include <string>

#include "model/person_detector_net.h"

namespace hat {

// Writes `path` atomically; hat::Error names the file when it cannot be written.
void export_person_detector_onnx(PersonDetectorNetImpl& net, const std::string& path);

}  // namespace hat
