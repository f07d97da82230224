// The MQTT payload writer (publish/tracked_object_events.h) on random frames: names, labels and
// camera names of any bytes (invalid UTF-8 included), NaN and infinite distances and scores,
// tracks that appear, switch identity and vanish. Every message must have a topic without MQTT
// wildcards or empty levels and a payload that parses as JSON.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "publish/tracked_object_events.h"

namespace {

[[noreturn]] void fail(const char* what, const hat::publish::MqttMessage& m) {
  std::fprintf(stderr, "fuzz_mqtt_events: %s: topic '%s', payload '%s'\n", what, m.topic.c_str(),
               m.payload.c_str());
  std::abort();
}

void check(const std::vector<hat::publish::MqttMessage>& messages) {
  for (const auto& m : messages) {
    if (m.topic.empty() || m.topic.find_first_of("+#") != std::string::npos ||
        m.topic.find("//") != std::string::npos || m.topic.back() == '/')
      fail("a topic with a wildcard or an empty level", m);
    if (m.payload == "online" || m.payload == "offline" || m.payload.empty()) continue;
    if (nlohmann::json::parse(m.payload, nullptr, false).is_discarded())
      fail("a payload that is not JSON", m);
  }
}

double any_double(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0:
      return std::numeric_limits<double>::quiet_NaN();
    case 1:
      return in.ConsumeBool() ? INFINITY : -INFINITY;
    case 2:
      return in.ConsumeFloatingPoint<double>();
    default:
      return in.ConsumeProbability<double>();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  hat::publish::EventOptions options;
  options.camera = in.ConsumeRandomLengthString(16);
  options.prefix = in.ConsumeBool() ? "hat" : in.ConsumeRandomLengthString(12);
  options.include_embeddings = in.ConsumeBool();
  options.ha_discovery = in.ConsumeBool();
  options.end_timeout_us = in.ConsumeIntegralInRange<int64_t>(1, 10000000);
  try {
    hat::publish::TrackedObjectEvents events(options);
    int64_t time_us = in.ConsumeIntegralInRange<int64_t>(0, int64_t{1} << 52);
    for (int frame = in.ConsumeIntegralInRange(1, 16); frame > 0 && in.remaining_bytes(); --frame) {
      std::vector<hat::publish::ObjectObservation> objects(in.ConsumeIntegralInRange(0, 4));
      for (auto& o : objects) {
        o.track = in.ConsumeIntegralInRange(-2, 6);
        o.x = in.ConsumeIntegral<int>();
        o.y = in.ConsumeIntegral<int>();
        o.width = in.ConsumeIntegral<int>();
        o.height = in.ConsumeIntegral<int>();
        o.score = any_double(in);
        o.global_id = in.ConsumeIntegralInRange<int64_t>(-1, 5);
        o.distance = any_double(in);
        o.label = in.ConsumeRandomLengthString(12);
        o.recognition = in.PickValueInArray({"", "new", "matched", "switched", "other"});
        for (int c = in.ConsumeIntegralInRange(0, 3); c > 0; --c)
          o.candidates.push_back(
              {in.ConsumeIntegral<int64_t>(), any_double(in), in.ConsumeRandomLengthString(8)});
        if (in.ConsumeBool()) o.embedding.assign(in.ConsumeIntegralInRange(0, 8), any_double(in));
      }
      check(events.frame(time_us, objects));
      time_us += in.ConsumeIntegralInRange<int64_t>(0, 5000000);
    }
    check(events.end_all());
  } catch (const hat::Error&) {
  }
  return 0;
}
