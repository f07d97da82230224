// hat-eval score's feature reader (inference/npy.h) on arbitrary bytes.
#include "base/error.h"
#include "inference/npy.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = hat::fuzz::write_input("features.npy", data, size);
  try {
    hat::read_npy(path);
  } catch (const hat::Error&) {
  }
  return 0;
}
