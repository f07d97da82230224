// Protocol Buffers' binary wire format, the little of it that ONNX files need: a writer that
// builds messages field by field (the ONNX exporter) and a reader that walks the fields of one
// message (hatdetect reads an ONNX model's input size). No schema and no library: ONNX's
// messages are plain nested fields, and OpenCV's protobuf copy is private to OpenCV.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hat::protobuf {

// Appends fields to one message. A nested message is written by building it in its own
// MessageWriter and adding its bytes with add_message.
class MessageWriter {
 public:
  void add_varint(int field, uint64_t value);         // int32, int64, enum, bool
  void add_bytes(int field, std::string_view bytes);  // string, bytes
  void add_message(int field, const MessageWriter& message) { add_bytes(field, message.bytes_); }
  void add_float(int field, float value);  // fixed32
  const std::string& bytes() const { return bytes_; }

 private:
  void add_key(int field, int wire_type);
  void add_raw_varint(uint64_t value);
  std::string bytes_;
};

// One field as read: varints carry `value`; length-delimited fields carry `bytes` (a view into
// the message being read); fixed32/fixed64 carry their raw bits in `value`.
struct Field {
  int number = 0;
  int wire_type = 0;  // 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32
  uint64_t value = 0;
  std::string_view bytes;
};

// Walks the fields of one message in order. hat::Error ("truncated or malformed protobuf")
// when the bytes are not a well-formed message; the caller adds which file it was.
class MessageReader {
 public:
  explicit MessageReader(std::string_view message) : data_(message) {}
  // The next field, or false at the end of the message.
  bool next(Field& field);

 private:
  uint64_t read_varint();
  std::string_view data_;
  size_t at_ = 0;
};

}  // namespace hat::protobuf
