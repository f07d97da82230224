// gallery/sighting_index: nearest identities against a brute force, owners, time, eviction and
// relabelling.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "gallery/sighting_index.h"
#include "tests/gallery_fixtures.h"

namespace hat {
namespace {

using namespace test;  // the gallery fixtures: unit, near, sighting, gallery_path, expect_error

TEST(SightingIndex, NearestIdentitiesMatchABruteForceAndHonourOwnersAndTime) {
  SightingIndex index(kDim);
  std::vector<std::pair<std::vector<float>, IndexedSighting>> all;
  for (int i = 0; i < 300; ++i) {
    IndexedSighting s{i % 40 + 1, static_cast<uint64_t>(i % 7 + 1), i, false};
    all.emplace_back(unit(100 + i), s);
    index.add(all.back().first.data(), s);
  }
  const auto q = unit(5);
  const auto found = index.nearest_identities(q.data(), 1, {3}, 100, 5)[0];
  std::map<int64_t, double> best;
  for (const auto& [e, s] : all) {
    if (s.owner == 3 || s.time_us < 100) continue;
    double dot = 0;
    for (int d = 0; d < kDim; ++d) dot += q[d] * e[d];
    auto [it, added] = best.emplace(s.identity, 1 - dot);
    if (!added) it->second = std::min(it->second, 1 - dot);
  }
  std::vector<std::pair<double, int64_t>> expected;
  for (const auto& [id, d] : best) expected.emplace_back(d, id);
  std::sort(expected.begin(), expected.end());
  ASSERT_EQ(found.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(found[i].identity, expected[i].second);
    EXPECT_NEAR(found[i].distance, expected[i].first, 2e-3);  // fp16 storage
  }
}

TEST(SightingIndex, EvictsOldestAndExpiredButNeverEnrolledAndRelabels) {
  SightingIndex index(kDim);
  const auto e = unit(1);
  index.add(e.data(), {99, 0, 0, true});  // enrolled, time 0
  for (int i = 0; i < 10; ++i) index.add(e.data(), {i + 1, 5, 100 + i, false});
  EXPECT_EQ(index.size(), 11u);
  index.evict(6, 0);  // the 5 oldest observed ones go
  EXPECT_EQ(index.size(), 6u);
  index.evict(100, 108);  // expired
  EXPECT_EQ(index.size(), 3u);
  auto ids = index.nearest_identities(e.data(), 1, {0}, 0, 10)[0];
  std::set<int64_t> left;
  for (const auto& c : ids) left.insert(c.identity);
  EXPECT_EQ(left, (std::set<int64_t>{9, 10, 99}));
  index.relabel(9, 10);
  ids = index.nearest_identities(e.data(), 1, {0}, 0, 10)[0];
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_TRUE(index.seen_by_others(10, 7));
  EXPECT_FALSE(index.seen_by_others(10, 5));
}

}  // namespace
}  // namespace hat
