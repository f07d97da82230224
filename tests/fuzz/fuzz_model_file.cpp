// The model-file reader (model/model_loader.h) on arbitrary bytes: project checkpoints,
// reference and torchvision state dicts, MobileNetV2 weights, in torch.save's zip container and
// the legacy pickle one. Anything but a loaded model or a hat::Error is a finding.
#include "base/error.h"
#include "model/model_loader.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = hat::fuzz::write_input("model.hat", data, size);
  try {
    hat::load_model(path);
  } catch (const hat::Error&) {
  }
  return 0;
}
