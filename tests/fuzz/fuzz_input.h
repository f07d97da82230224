// What the fuzz targets share (docs/RELIABILITY.md). The readers under test take paths, so an
// input reaches them as a file; and only hat::Error, the project's one-line error for bad input,
// may leave the code under test: any other exception escapes LLVMFuzzerTestOneInput, aborts, and
// libFuzzer reports it with the input that caused it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace hat::fuzz {

// This process's scratch folder (in /dev/shm when it exists: a file per input is written
// thousands of times a second), created on first use and removed at exit.
const std::string& scratch_dir();

// Writes `data` to scratch_dir()/NAME, replacing the previous input, and returns the path.
std::string write_input(const std::string& name, const uint8_t* data, size_t size);
std::string write_input(const std::string& name, const std::string& text);

}  // namespace hat::fuzz
