#include "base/protobuf_wire.h"

#include <cstring>

#include "base/error.h"

namespace hat::protobuf {

void MessageWriter::add_raw_varint(uint64_t value) {
  while (value >= 0x80) {
    bytes_.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  bytes_.push_back(static_cast<char>(value));
}

void MessageWriter::add_key(int field, int wire_type) {
  add_raw_varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type));
}

void MessageWriter::add_varint(int field, uint64_t value) {
  add_key(field, 0);
  add_raw_varint(value);
}

void MessageWriter::add_bytes(int field, std::string_view bytes) {
  add_key(field, 2);
  add_raw_varint(bytes.size());
  bytes_.append(bytes);
}

void MessageWriter::add_float(int field, float value) {
  add_key(field, 5);
  char raw[4];
  std::memcpy(raw, &value, 4);  // the wire format is little-endian, as are the targets built
  bytes_.append(raw, 4);
}

uint64_t MessageReader::read_varint() {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (at_ >= data_.size()) throw Error("truncated or malformed protobuf");
    const auto byte = static_cast<uint8_t>(data_[at_++]);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  throw Error("truncated or malformed protobuf");
}

bool MessageReader::next(Field& field) {
  if (at_ >= data_.size()) return false;
  const uint64_t key = read_varint();
  field.number = static_cast<int>(key >> 3);
  field.wire_type = static_cast<int>(key & 7);
  field.value = 0;
  field.bytes = {};
  if (field.number == 0) throw Error("truncated or malformed protobuf");
  switch (field.wire_type) {
    case 0:
      field.value = read_varint();
      return true;
    case 1:
    case 5: {
      const size_t width = field.wire_type == 1 ? 8 : 4;
      if (data_.size() - at_ < width) throw Error("truncated or malformed protobuf");
      std::memcpy(&field.value, data_.data() + at_, width);
      at_ += width;
      return true;
    }
    case 2: {
      const uint64_t size = read_varint();
      if (size > data_.size() - at_) throw Error("truncated or malformed protobuf");
      field.bytes = data_.substr(at_, size);
      at_ += size;
      return true;
    }
    default:
      throw Error("truncated or malformed protobuf");
  }
}

}  // namespace hat::protobuf
