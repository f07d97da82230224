// The pickle inside a torch.save file, checked before LibTorch unpickles it. LibTorch's unpickler
// allocates (and zero-fills) the length a string opcode declares before it finds the bytes
// missing, and grows its memo table to whatever index a PUT names, so one damaged number costs
// gigabytes (both found by fuzz_model_file); this walk checks them against the pickle first.
#pragma once

#include <cstddef>
#include <string>

namespace hat {

// hat::Error "WHERE: corrupt or truncated pickle (the opcode at offset O declares N bytes, M are
// left)" when
// an opcode of the pickle protocol (0-5) declares an argument longer than the rest of `data`, and
// "WHERE: corrupt pickle (the opcode at offset O stores memo entry N, after M entries)" when a
// BINPUT or LONG_BINPUT skips memo entries (LibTorch would grow its memo table to N).
// The walk stops at STOP, at an opcode the protocol does not have, or at a line argument without
// its newline: those are LibTorch's to refuse, and it reads nothing long before them.
void check_pickle_lengths(const char* data, size_t size, const std::string& where);

}  // namespace hat
