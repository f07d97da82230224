#include "model/onnx_graph.h"

#include "base/error.h"
#include "base/file_io.h"

namespace hat {

namespace {

using protobuf::MessageWriter;

// onnx.proto field numbers and enum values.
namespace model_field {
constexpr int kIrVersion = 1, kProducerName = 2, kProducerVersion = 3, kGraph = 7, kOpsetImport = 8,
              kMetadata = 14;
}
namespace graph_field {
constexpr int kNode = 1, kName = 2, kInitializer = 5, kInput = 11, kOutput = 12;
}
namespace node_field {
constexpr int kInput = 1, kOutput = 2, kName = 3, kOpType = 4, kAttribute = 5;
}
namespace attribute_field {
constexpr int kName = 1, kF = 2, kI = 3, kS = 4, kInts = 8, kType = 20;
constexpr int kFloat = 1, kInt = 2, kString = 3, kIntsType = 7;
}  // namespace attribute_field
namespace tensor_field {
constexpr int kDims = 1, kDataType = 2, kName = 8, kRawData = 9;
constexpr int kFloat = 1, kInt64 = 7;
}  // namespace tensor_field
// IR version 5 is the one that goes with opset 10.
constexpr int64_t kIrVersion = 5;

MessageWriter value_info(const std::string& name, const std::vector<int64_t>& dims) {
  MessageWriter shape;
  for (int64_t d : dims) {
    MessageWriter dim;
    dim.add_varint(1, static_cast<uint64_t>(d));  // dim_value
    shape.add_message(1, dim);
  }
  MessageWriter tensor_type;
  tensor_type.add_varint(1, tensor_field::kFloat);  // elem_type
  tensor_type.add_message(2, shape);
  MessageWriter type;
  type.add_message(1, tensor_type);
  MessageWriter info;
  info.add_bytes(1, name);
  info.add_message(2, type);
  return info;
}

MessageWriter attribute(const OnnxAttribute& a) {
  namespace f = attribute_field;
  MessageWriter m;
  m.add_bytes(f::kName, a.name);
  switch (a.kind) {
    case OnnxAttribute::Kind::kInt:
      m.add_varint(f::kI, static_cast<uint64_t>(a.i));
      m.add_varint(f::kType, f::kInt);
      break;
    case OnnxAttribute::Kind::kInts:
      for (int64_t v : a.ints) m.add_varint(f::kInts, static_cast<uint64_t>(v));
      m.add_varint(f::kType, f::kIntsType);
      break;
    case OnnxAttribute::Kind::kFloat:
      m.add_float(f::kF, a.f);
      m.add_varint(f::kType, f::kFloat);
      break;
    case OnnxAttribute::Kind::kString:
      m.add_bytes(f::kS, a.s);
      m.add_varint(f::kType, f::kString);
      break;
  }
  return m;
}

}  // namespace

OnnxAttribute onnx_int(std::string name, int64_t value) {
  OnnxAttribute a;
  a.name = std::move(name);
  a.kind = OnnxAttribute::Kind::kInt;
  a.i = value;
  return a;
}
OnnxAttribute onnx_ints(std::string name, std::vector<int64_t> values) {
  OnnxAttribute a;
  a.name = std::move(name);
  a.kind = OnnxAttribute::Kind::kInts;
  a.ints = std::move(values);
  return a;
}
OnnxAttribute onnx_float(std::string name, float value) {
  OnnxAttribute a;
  a.name = std::move(name);
  a.kind = OnnxAttribute::Kind::kFloat;
  a.f = value;
  return a;
}
OnnxAttribute onnx_string(std::string name, std::string value) {
  OnnxAttribute a;
  a.name = std::move(name);
  a.kind = OnnxAttribute::Kind::kString;
  a.s = std::move(value);
  return a;
}

std::string OnnxGraph::fresh(const std::string& hint) {
  const int n = used_[hint]++;
  return n == 0 ? hint : hint + "_" + std::to_string(n);
}

void OnnxGraph::add_input(const std::string& name, const std::vector<int64_t>& dims) {
  used_[name]++;
  inputs_.push_back(value_info(name, dims));
}

void OnnxGraph::add_output(const std::string& name, const std::vector<int64_t>& dims) {
  outputs_.push_back(value_info(name, dims));
}

std::string OnnxGraph::add_initializer(const std::string& hint, const torch::Tensor& value) {
  namespace f = tensor_field;
  const bool integer = value.scalar_type() == torch::kLong;
  const torch::Tensor t =
      value.detach().to(torch::kCPU, integer ? torch::kLong : torch::kFloat).contiguous();
  const std::string name = fresh(hint);
  MessageWriter m;
  for (int64_t d : t.sizes()) m.add_varint(f::kDims, static_cast<uint64_t>(d));
  m.add_varint(f::kDataType, integer ? f::kInt64 : f::kFloat);
  m.add_bytes(f::kName, name);
  m.add_bytes(f::kRawData, std::string_view(static_cast<const char*>(t.data_ptr()), t.nbytes()));
  initializers_.push_back(std::move(m));
  return name;
}

std::string OnnxGraph::add_node(const std::string& op_type, const std::vector<std::string>& inputs,
                                const std::string& hint,
                                const std::vector<OnnxAttribute>& attributes) {
  const std::string output = fresh(hint);
  node_ops_.push_back(op_type);
  node_inputs_.push_back(inputs);
  node_outputs_.push_back(output);
  node_attributes_.push_back(attributes);
  return output;
}

void OnnxGraph::rename_last_output(const std::string& name) {
  if (node_outputs_.empty()) throw Error("ONNX export: no node to name '" + name + "'");
  node_outputs_.back() = name;
}

void OnnxGraph::add_metadata(const std::string& key, const std::string& value) {
  metadata_.emplace_back(key, value);
}

std::string OnnxGraph::serialize(const std::string& producer, const std::string& version) const {
  MessageWriter graph;
  for (size_t k = 0; k < node_ops_.size(); ++k) {
    namespace f = node_field;
    MessageWriter node;
    for (const auto& in : node_inputs_[k]) node.add_bytes(f::kInput, in);
    node.add_bytes(f::kOutput, node_outputs_[k]);
    node.add_bytes(f::kName, node_outputs_[k]);
    node.add_bytes(f::kOpType, node_ops_[k]);
    for (const auto& a : node_attributes_[k]) node.add_message(f::kAttribute, attribute(a));
    graph.add_message(graph_field::kNode, node);
  }
  graph.add_bytes(graph_field::kName, name_);
  for (const auto& m : initializers_) graph.add_message(graph_field::kInitializer, m);
  for (const auto& m : inputs_) graph.add_message(graph_field::kInput, m);
  for (const auto& m : outputs_) graph.add_message(graph_field::kOutput, m);

  MessageWriter model;
  model.add_varint(model_field::kIrVersion, kIrVersion);
  model.add_bytes(model_field::kProducerName, producer);
  model.add_bytes(model_field::kProducerVersion, version);
  model.add_message(model_field::kGraph, graph);
  MessageWriter opset;
  opset.add_bytes(1, "");  // the default domain
  opset.add_varint(2, kOpset);
  model.add_message(model_field::kOpsetImport, opset);
  for (const auto& [key, value] : metadata_) {
    MessageWriter entry;
    entry.add_bytes(1, key);
    entry.add_bytes(2, value);
    model.add_message(model_field::kMetadata, entry);
  }
  return model.bytes();
}

void OnnxGraph::save(const std::string& path, const std::string& producer,
                     const std::string& version) const {
  const std::string bytes = serialize(producer, version);
  write_file_atomically(path, bytes.data(), bytes.size());
}

}  // namespace hat
