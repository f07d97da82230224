#include "model/pickle_check.h"

#include <cstdint>
#include <cstring>

#include "base/error.h"

namespace hat {

namespace {

// How an opcode's argument is laid out (Python's pickletools gives the same table).
enum class Arg {
  kNone,      // no argument
  kFixed,     // `width` bytes
  kLength,    // a little-endian length of `width` bytes, then that many bytes
  kLine,      // one newline-terminated line
  kTwoLines,  // two of them (GLOBAL, INST)
  kFrame,     // an 8-byte frame length: the frame's opcodes follow and are walked too
  kStop,      // STOP: the end of the pickle
  kUnknown
};

struct Layout {
  Arg arg;
  int width;
};

Layout layout_of(unsigned char op) {
  switch (op) {
    case 'J':
    case 'j':
    case 'r':
      return {Arg::kFixed, 4};  // BININT, LONG_BINGET, LONG_BINPUT
    case 'K':
    case 'h':
    case 'q':
      return {Arg::kFixed, 1};  // BININT1, BINGET, BINPUT
    case 'M':
      return {Arg::kFixed, 2};  // BININT2
    case 'G':
      return {Arg::kFixed, 8};  // BINFLOAT
    case 0x80:
    case 0x82:
      return {Arg::kFixed, 1};  // PROTO, EXT1
    case 0x83:
      return {Arg::kFixed, 2};  // EXT2
    case 0x84:
      return {Arg::kFixed, 4};  // EXT4
    case 'T':
    case 'X':
    case 'B':
    case 0x8b:
      return {Arg::kLength, 4};  // BINSTRING, BINUNICODE,
                                 // BINBYTES, LONG4
    case 'U':
    case 'C':
    case 0x8a:
    case 0x8c:
      return {Arg::kLength, 1};  // SHORT_BINSTRING,
                                 // SHORT_BINBYTES, LONG1, SHORT_BINUNICODE
    case 0x8d:
    case 0x8e:
    case 0x96:
      return {Arg::kLength, 8};  // BINUNICODE8, BINBYTES8,
                                 // BYTEARRAY8
    case 'F':
    case 'I':
    case 'L':
    case 'P':
    case 'S':
    case 'V':
    case 'g':
    case 'p':
      return {Arg::kLine, 0};  // FLOAT, INT, LONG, PERSID, STRING, UNICODE, GET, PUT
    case 'c':
    case 'i':
      return {Arg::kTwoLines, 0};  // GLOBAL, INST
    case 0x95:
      return {Arg::kFrame, 8};  // FRAME
    case '.':
      return {Arg::kStop, 0};
    case '(':
    case '0':
    case '1':
    case '2':
    case 'N':
    case 'Q':
    case 'R':
    case 'a':
    case 'b':
    case 'd':
    case '}':
    case 'e':
    case 'l':
    case ']':
    case 'o':
    case 's':
    case 't':
    case ')':
    case 'u':
    case 0x81:
    case 0x85:
    case 0x86:
    case 0x87:
    case 0x88:
    case 0x89:
    case 0x8f:
    case 0x90:
    case 0x91:
    case 0x92:
    case 0x93:
    case 0x94:
    case 0x97:
    case 0x98:
      return {Arg::kNone, 0};
    default:
      return {Arg::kUnknown, 0};
  }
}

uint64_t little_endian(const char* p, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

void check_pickle_lengths(const char* data, size_t size, const std::string& where) {
  auto fail = [&](uint64_t length, size_t at, size_t left) {
    throw Error(where + ": corrupt or truncated pickle (the opcode at offset " +
                std::to_string(at) + " declares " + std::to_string(length) + " bytes, " +
                std::to_string(left) + " are left)");
  };
  // Memo slots: LibTorch grows its memo table to the index a PUT names, so a damaged 4-byte
  // index costs gigabytes. Picklers number their memo entries from 0 as they store them.
  uint64_t stored = 0;
  size_t at = 0;
  while (at < size) {
    const unsigned char op = static_cast<unsigned char>(data[at]);
    const Layout l = layout_of(op);
    const size_t opcode = at++;
    const size_t left = size - at;
    if ((op == 'q' || op == 'r') && static_cast<size_t>(l.width) <= left) {  // BINPUT, LONG_BINPUT
      const uint64_t index = little_endian(data + at, l.width);
      if (index > stored)
        throw Error(where + ": corrupt pickle (the opcode at offset " + std::to_string(opcode) +
                    " stores memo entry " + std::to_string(index) + ", after " +
                    std::to_string(stored) + " entries)");
      if (index == stored) ++stored;
    }
    if (op == 0x94) ++stored;  // MEMOIZE: the next entry
    switch (l.arg) {
      case Arg::kStop:
      case Arg::kUnknown:
        return;
      case Arg::kNone:
        break;
      case Arg::kFixed:
        if (static_cast<size_t>(l.width) > left) return;  // LibTorch: "unexpected end"
        at += static_cast<size_t>(l.width);
        break;
      case Arg::kLength:
      case Arg::kFrame: {
        if (static_cast<size_t>(l.width) > left) return;
        uint64_t length = little_endian(data + at, l.width);
        // BINSTRING's length is signed; a negative one is as bad as a huge one.
        if (data[opcode] == 'T') length = static_cast<uint64_t>(static_cast<int32_t>(length));
        at += static_cast<size_t>(l.width);
        if (length > size - at) fail(length, opcode, size - at);
        if (l.arg == Arg::kLength) at += static_cast<size_t>(length);
        break;
      }
      case Arg::kLine:
      case Arg::kTwoLines:
        for (int line = 0; line < (l.arg == Arg::kLine ? 1 : 2); ++line) {
          const void* newline = std::memchr(data + at, '\n', size - at);
          if (!newline) return;
          at = static_cast<size_t>(static_cast<const char*>(newline) - data) + 1;
        }
        break;
    }
  }
}

}  // namespace hat
