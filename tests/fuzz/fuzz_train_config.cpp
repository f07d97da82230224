// hat-train's configuration: a --config JSON file (read as hat-train reads it) with up to four
// --set KEY=VALUE overrides on top, then decoded into a TrainConfig.
#include <fuzzer/FuzzedDataProvider.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/json_settings.h"
#include "tests/fuzz/fuzz_input.h"
#include "train/train_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<std::string> overrides(in.ConsumeIntegralInRange<size_t>(0, 4));
  for (auto& o : overrides) o = in.ConsumeRandomLengthString(64);
  const std::string path =
      hat::fuzz::write_input("config.json", in.ConsumeRemainingBytesAsString());
  try {
    nlohmann::json config = hat::read_json_file(path);
    for (const auto& o : overrides) hat::apply_override(config, o);
    hat::train_config_from_json(config);
  } catch (const hat::Error&) {
  }
  return 0;
}
