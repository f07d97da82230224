// The zip container of torch.save files, checked before LibTorch reads it. LibTorch's reader
// (miniz over an in-memory buffer) trusts the offsets and sizes the archive states and reads out
// of bounds when they are wrong (found by fuzz_model_file: a damaged zip64 record crashed it), so
// every offset and size it will follow is checked against the buffer first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hat {

// One entry of the archive, as its central directory states it (and as checked).
struct ZipEntry {
  std::string name;
  bool stored = false;  // compression method 0: the data is the entry's bytes as they are
  uint64_t data = 0;    // offset of the entry's data in the file
  uint64_t size = 0;    // its size in the file (compressed)
};

// hat::Error "PATH: corrupt or truncated torch.save file (zip container: WHAT)" unless
// `bytes` holds an end-of-central-directory record (zip64 ones too) whose central directory lies
// within the file, and every entry of it names a local header and data that lie before the
// directory, with an uncompressed size its data can hold (equal for a stored entry, at most
// deflate's 1032:1 for a compressed one: LibTorch allocates that size before it reads). Returns
// the entries in directory order.
std::vector<ZipEntry> check_zip_container(const std::vector<char>& bytes, const std::string& path);

}  // namespace hat
