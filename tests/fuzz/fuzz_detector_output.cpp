// The ONNX detector's output decoders (detection/person_detector.h) on random shapes and values:
// YOLOv5 [1, N, 5 + C], YOLOv8 [1, 4 + C, N], SSD [1, 1, N, 7], and shapes that are none of
// them. Every box decoded must have a positive size and bounded coordinates.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include <opencv2/core.hpp>

#include "base/error.h"
#include "detection/person_detector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int dims = in.ConsumeIntegralInRange(1, 5);
  std::vector<int> shape(static_cast<size_t>(dims));
  size_t total = 1;
  for (auto& s : shape) {
    s = in.ConsumeIntegralInRange(0, 300);
    total *= static_cast<size_t>(s);
  }
  if (total > (1u << 20)) return 0;
  hat::gst::DetectorOptions options;
  options.threshold = in.ConsumeFloatingPointInRange(-1.0, 2.0);
  options.class_id = in.ConsumeIntegralInRange(-1, 100);
  const int width = in.ConsumeIntegralInRange(1, 4096), height = in.ConsumeIntegralInRange(1, 4096);
  const int type = in.ConsumeBool() ? CV_32F : CV_64F;
  cv::Mat output(dims, shape.data(), type, cv::Scalar(0));
  // The values: raw bytes, so NaN, infinities and huge numbers come as often as ordinary ones.
  const std::vector<uint8_t> values = in.ConsumeRemainingBytes<uint8_t>();
  const size_t bytes = std::min(values.size(), total * output.elemSize());
  if (bytes) std::memcpy(output.data, values.data(), bytes);
  try {
    for (const auto& d : hat::gst::decode_detector_output(output, width, height, options)) {
      // The decoder's bound: coordinates within 2^24 pixels, so corners and sizes fit an int.
      const long limit = 1L << 25;
      if (std::labs(d.box.x) > limit || std::labs(d.box.y) > limit || d.box.width <= 0 ||
          d.box.height <= 0 || d.box.width > limit || d.box.height > limit)
        std::abort();
    }
  } catch (const hat::Error&) {
  }
  return 0;
}
