// gallery/half_float: every fp16 value round-trips; floats round to the nearest half.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "gallery/half_float.h"
#include "tests/gallery_fixtures.h"

namespace hat {
namespace {

using test::unit;

TEST(HalfFloat, EveryHalfRoundTripsAndFloatsRoundToNearest) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = half_to_float(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(float_to_half(f), h) << h;
  }
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-70000.f, 70000.f);
  for (int i = 0; i < 100000; ++i) {
    const float f = i % 2 ? u(rng) : u(rng) * 1e-6f;
    const float back = half_to_float(float_to_half(f));
    if (std::fabs(f) >= 65520.f) {  // past the largest half by half an ulp
      EXPECT_TRUE(std::isinf(back));
      continue;
    }
    // Half a unit in the last place: 2^-11 relative for normals, 2^-25 absolute below.
    EXPECT_LE(std::fabs(back - f),
              std::max(std::fabs(f) * std::ldexp(1.0f, -11), std::ldexp(1.0f, -25)))
        << f;
  }
  const auto e = unit(3, 1024);
  const auto d = decode_half(encode_half(e.data(), e.size()).data(), e.size());
  double dot = 0;
  for (size_t i = 0; i < e.size(); ++i) dot += e[i] * d[i];
  EXPECT_GT(dot, 1 - 1e-6);
}

}  // namespace
}  // namespace hat
