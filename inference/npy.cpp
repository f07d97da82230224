#include "inference/npy.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>

#include "base/error.h"
#include "base/file_io.h"

namespace hat {

void write_npy(const std::string& path, const torch::Tensor& tensor) {
  if (tensor.dim() < 1) throw Error("cannot write " + path + ": expected a tensor of rank >= 1");
  const auto t = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  std::string shape = "(";
  for (int64_t d = 0; d < t.dim(); ++d) shape += (d ? ", " : "") + std::to_string(t.size(d));
  shape += t.dim() == 1 ? ",)" : ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of
  // 64 and ended by a newline.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out.append(static_cast<const char*>(t.data_ptr()), t.numel() * sizeof(float));
  write_file_atomically(path, out.data(), out.size());
}

torch::Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(path + ": cannot open: " + std::strerror(errno));
  const auto file_size = static_cast<size_t>(in.tellg());
  in.seekg(0);
  auto bad = [&](const std::string& what) {
    return Error(path + ": not a valid .npy file: " + what);
  };
  char prefix[12] = {};
  if (file_size < 10 || !in.read(prefix, 10) || std::string(prefix, 6) != "\x93NUMPY")
    throw bad("missing magic");
  const int major = static_cast<unsigned char>(prefix[6]);
  size_t header_len = 0, offset = 10;
  if (major == 1) {
    header_len =
        static_cast<unsigned char>(prefix[8]) | (static_cast<unsigned char>(prefix[9]) << 8);
  } else if (major == 2 || major == 3) {
    if (!in.read(prefix + 10, 2)) throw bad("truncated header");
    for (int i = 0; i < 4; ++i)
      header_len |= static_cast<size_t>(static_cast<unsigned char>(prefix[8 + i])) << (8 * i);
    offset = 12;
  } else {
    throw bad("unsupported version " + std::to_string(major));
  }
  if (file_size < offset + header_len) throw bad("truncated header");
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([<>|=]?)([a-z])(\\d+)'")))
    throw bad("no dtype in header");
  const std::string kind = m[2].str() + m[3].str();
  if (m[1].str() == ">" || (kind != "f4" && kind != "f8"))
    throw bad("dtype '" + m[1].str() + kind + "' is not little-endian float32 or float64");
  if (std::regex_search(header, std::regex("'fortran_order':\\s*True")))
    throw bad("Fortran order is not supported (save with np.ascontiguousarray)");
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)")))
    throw bad("no shape in header");
  std::vector<int64_t> shape;
  const std::string dims = m[1].str();
  const std::regex number("\\d+");
  // A damaged header may state any shape (fuzz_npy): sizes are checked against the file
  // before they are multiplied, so nothing overflows.
  const size_t item = kind == "f4" ? 4 : 8;
  const size_t data_at = offset + header_len;
  const uint64_t data_bytes = file_size - data_at;
  uint64_t count = 1;
  bool too_large = false;
  // Strides are products of the non-zero dimensions, also for an empty array: they must fit.
  int64_t strides = 1;
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it) {
    if (it->length() > 15)
      throw bad("shape dimension " + it->str().substr(0, 20) + " is too large");
    const int64_t d = std::stoll(it->str());
    shape.push_back(d);
    if (d != 0 && count > data_bytes / static_cast<uint64_t>(d)) too_large = true;
    count *= static_cast<uint64_t>(d);
    if (d != 0 && __builtin_mul_overflow(strides, d, &strides))
      throw bad("its shape's dimensions multiply beyond 64 bits");
  }
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) {  // an empty array
    too_large = false;
    count = 0;
  }
  if (too_large || count * item != data_bytes)
    throw bad(too_large ? "its shape holds more data than the file's " +
                              std::to_string(data_bytes) + " bytes"
                        : "expected " + std::to_string(count * item) + " data bytes, found " +
                              std::to_string(data_bytes));
  // Read straight into the tensor: no second copy of a gallery-sized file.
  auto t = torch::empty(shape, kind == "f4" ? torch::kFloat32 : torch::kFloat64);
  if (!in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(count * item)))
    throw bad("read failed");
  return kind == "f4" ? t : t.to(torch::kFloat32);
}

}  // namespace hat
