// The input shape an ONNX model declares, read from the file itself (OpenCV's DNN module does not
// report it): a detector exported at a fixed size (YOLOv8 at 640x640, the project's site
// detector at the camera's aspect) is fed at that size, and only a model with dynamic dimensions
// falls back to hatdetect's input-size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hat::gst {

// The dimensions of the graph's first input that is not an initializer, in order (N, C, H, W
// for image models); 0 for a dimension given by name or left open. hat::Error naming the file
// when it cannot be read or is not an ONNX model.
std::vector<int64_t> read_onnx_input_shape(const std::string& path);

}  // namespace hat::gst
