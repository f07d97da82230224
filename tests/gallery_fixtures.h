// Test data of the gallery suites: random unit embeddings and their neighbours, sightings, a
// gallery path in the scratch folder, and the one-line error check.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gallery/gallery_store.h"
#include "gallery/identity_matcher.h"

namespace hat::test {

constexpr int kDim = 16;  // embedding size of the gallery tests

// A random L2-normalised vector (the same for the same seed).
std::vector<float> unit(uint64_t seed, int dim = kDim);
// `base` moved by `noise` in a random direction (then renormalised).
std::vector<float> near(const std::vector<float>& base, double noise, uint64_t seed);
SightingRecord sighting(int64_t identity, uint64_t session, int64_t time_us,
                        const std::vector<float>& e, bool enrolled = false);
// Track `track`'s observation with embedding `e` (box 20 x 40 at x = 10 * track).
TrackObservation observation(int track, const std::vector<float>& e);
// A new path in a fresh scratch folder.
std::string gallery_path();
// `body` throws hat::Error whose one-line message contains `expected`.
void expect_error(const std::function<void()>& body, const std::string& expected);

}  // namespace hat::test
