// The zip container of torch.save files, checked before LibTorch reads it. LibTorch's reader
// (miniz over an in-memory buffer) trusts the offsets and sizes the archive states and reads out
// of bounds when they are wrong (found by fuzz_model_file: a damaged zip64 record crashed it), so
// every offset and size it will follow is checked against the buffer first.
#pragma once

#include <string>
#include <vector>

namespace hat {

// hat::Error "PATH: corrupt or truncated torch.save file (zip container: WHAT)" unless
// `bytes` holds an end-of-central-directory record (zip64 ones too) whose central directory lies
// within the file, and every entry of it names a local header and data that lie before the
// directory.
void check_zip_container(const std::vector<char>& bytes, const std::string& path);

}  // namespace hat
