// Whole-file reads, and crash- and disk-full-safe writes (a temporary file beside the target,
// fsync, rename).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace hat {

// Replaces `path` with `size` bytes only once they are safely on disk; on any failure the old
// file is untouched, the temporary is removed and hat::Error says what failed.
void write_file_atomically(const std::string& path, const void* data, size_t size);

// `json` pretty-printed, written atomically.
void write_json_file(const std::string& path, const nlohmann::json& json);

// Creates `dir` and its missing parents; hat::Error names the folder and why it failed.
void create_folders(const std::string& dir);

// Reads a whole file; hat::Error when it is missing or unreadable.
std::string read_file(const std::string& path);
// The same as bytes, in the form LibTorch's unpickler takes (no extra copy of large models).
std::vector<char> read_file_bytes(const std::string& path);

}  // namespace hat
