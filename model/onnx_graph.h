// A writer of ONNX model files for networks whose structure the exporter knows (no tracing):
// the exporter adds the graph's input, initializers from LibTorch tensors and nodes in order,
// then saves one self-contained .onnx file (opset 10, float32 weights inline; 10, not
// later, because OpenCV 4.6's importer takes Clip's bounds only as opset-10 attributes). The wire
// format is base/protobuf_wire.h; field numbers are those of onnx.proto.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "base/protobuf_wire.h"

namespace hat {

// One node attribute: an int, a list of ints, a float or a string.
struct OnnxAttribute {
  std::string name;
  enum class Kind { kInt, kInts, kFloat, kString } kind = Kind::kInt;
  int64_t i = 0;
  std::vector<int64_t> ints;
  float f = 0;
  std::string s;
};
OnnxAttribute onnx_int(std::string name, int64_t value);
OnnxAttribute onnx_ints(std::string name, std::vector<int64_t> values);
OnnxAttribute onnx_float(std::string name, float value);
OnnxAttribute onnx_string(std::string name, std::string value);

class OnnxGraph {
 public:
  static constexpr int64_t kOpset = 10;

  explicit OnnxGraph(std::string name) : name_(std::move(name)) {}

  // A float32 graph input or output of fixed shape.
  void add_input(const std::string& name, const std::vector<int64_t>& dims);
  void add_output(const std::string& name, const std::vector<int64_t>& dims);
  // A constant (float32 or int64, any shape, 0-d for a scalar), under a fresh name derived
  // from `hint`, which is returned.
  std::string add_initializer(const std::string& hint, const torch::Tensor& value);
  // A node with one output, named after `hint`; returns the output's name.
  std::string add_node(const std::string& op_type, const std::vector<std::string>& inputs,
                       const std::string& hint, const std::vector<OnnxAttribute>& attributes = {});
  // Renames the output of the last node added (to the graph output's name).
  void rename_last_output(const std::string& name);

  // Metadata shown by model viewers and kept with the file (key, value).
  void add_metadata(const std::string& key, const std::string& value);

  // The serialized ModelProto.
  std::string serialize(const std::string& producer, const std::string& version) const;
  // Writes it atomically (base/file_io.h); hat::Error names the file on failure.
  void save(const std::string& path, const std::string& producer, const std::string& version) const;

 private:
  std::string fresh(const std::string& hint);
  std::string name_;
  std::map<std::string, int> used_;
  std::vector<protobuf::MessageWriter> initializers_, inputs_, outputs_;
  std::vector<std::string> node_outputs_;
  std::vector<std::pair<std::string, std::string>> metadata_;
  std::vector<std::vector<std::string>> node_inputs_;
  std::vector<std::string> node_ops_;
  std::vector<std::vector<OnnxAttribute>> node_attributes_;
};

}  // namespace hat
