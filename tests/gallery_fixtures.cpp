#include "tests/gallery_fixtures.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "base/error.h"
#include "tests/test_env.h"

namespace hat::test {

std::vector<float> unit(uint64_t seed, int dim) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n;
  std::vector<float> v(static_cast<size_t>(dim));
  double norm = 0;
  for (float& x : v) {
    x = n(rng);
    norm += x * x;
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
  return v;
}

std::vector<float> near(const std::vector<float>& base, double noise, uint64_t seed) {
  auto v = unit(seed, static_cast<int>(base.size()));
  std::vector<float> out(base.size());
  double norm = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    out[i] = static_cast<float>(base[i] + noise * v[i]);
    norm += out[i] * out[i];
  }
  for (float& x : out) x = static_cast<float>(x / std::sqrt(norm));
  return out;
}

SightingRecord sighting(int64_t identity, uint64_t session, int64_t time_us,
                        const std::vector<float>& e, bool enrolled) {
  SightingRecord s;
  s.identity = identity;
  s.session = session;
  s.camera = "cam";
  s.track = 1;
  s.time_us = time_us;
  s.box = {1, 2, 30, 60};
  s.enrolled = enrolled;
  s.embedding = e;
  return s;
}

TrackObservation observation(int track, const std::vector<float>& e) {
  TrackObservation o;
  o.track = track;
  o.box = {10 * track, 0, 20, 40};
  o.embedding = e;
  return o;
}

std::string gallery_path() { return scratch_dir() + "/gallery.db"; }

void expect_error(const std::function<void()>& body, const std::string& expected) {
  try {
    body();
    ADD_FAILURE() << "no error; expected one with: " << expected;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line";
  }
}

}  // namespace hat::test
