#include "detection/onnx_input_shape.h"

#include <set>

#include "base/error.h"
#include "base/file_io.h"
#include "base/protobuf_wire.h"

namespace hat::gst {
namespace {

using protobuf::Field;
using protobuf::MessageReader;

// onnx.proto field numbers.
constexpr int kModelGraph = 7;
constexpr int kGraphInitializer = 5, kGraphInput = 11;
constexpr int kTensorName = 8;
constexpr int kValueInfoName = 1, kValueInfoType = 2;
constexpr int kTypeTensor = 1, kTensorTypeShape = 2, kShapeDim = 1, kDimValue = 1;

std::string_view sub_message(std::string_view message, int number) {
  MessageReader reader(message);
  Field f;
  while (reader.next(f))
    if (f.number == number && f.wire_type == 2) return f.bytes;
  return {};
}

std::vector<int64_t> dims_of(std::string_view value_info) {
  const std::string_view shape = sub_message(
      sub_message(sub_message(value_info, kValueInfoType), kTypeTensor), kTensorTypeShape);
  std::vector<int64_t> dims;
  MessageReader reader(shape);
  Field f;
  while (reader.next(f)) {
    if (f.number != kShapeDim || f.wire_type != 2) continue;
    int64_t value = 0;
    MessageReader dim(f.bytes);
    Field d;
    while (dim.next(d))
      if (d.number == kDimValue && d.wire_type == 0) value = static_cast<int64_t>(d.value);
    dims.push_back(value);
  }
  return dims;
}

}  // namespace

std::vector<int64_t> read_onnx_input_shape(const std::string& path) {
  const std::string bytes = read_file(path);
  try {
    const std::string_view graph = sub_message(bytes, kModelGraph);
    if (graph.empty()) throw Error("no graph");
    // Old exporters list the weights among the inputs too: skip those.
    std::set<std::string_view> initializers;
    std::vector<std::string_view> inputs;
    MessageReader reader(graph);
    Field f;
    while (reader.next(f)) {
      if (f.wire_type != 2) continue;
      if (f.number == kGraphInitializer) {
        MessageReader tensor(f.bytes);
        Field t;
        while (tensor.next(t))
          if (t.number == kTensorName && t.wire_type == 2) initializers.insert(t.bytes);
      } else if (f.number == kGraphInput) {
        inputs.push_back(f.bytes);
      }
    }
    for (std::string_view input : inputs) {
      MessageReader info(input);
      Field n;
      std::string_view name;
      while (info.next(n))
        if (n.number == kValueInfoName && n.wire_type == 2) name = n.bytes;
      if (!initializers.count(name)) return dims_of(input);
    }
    throw Error("no graph input");
  } catch (const Error& e) {
    throw Error(path + ": not an ONNX model (" + e.what() + ")");
  }
}

}  // namespace hat::gst
