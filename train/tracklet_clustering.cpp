#include "train/tracklet_clustering.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "base/error.h"

namespace hat {

ClusteringResult cluster_with_cannot_links(const std::vector<double>& distances, int n,
                                           const std::vector<std::pair<int, int>>& cannot_link,
                                           double max_distance) {
  if (n < 0 || distances.size() != static_cast<size_t>(n) * static_cast<size_t>(n))
    throw Error("clustering: the distance matrix is not " + std::to_string(n) + " x " +
                std::to_string(n));
  const size_t N = static_cast<size_t>(n);
  // d: the average-linkage distance between live clusters (Lance-Williams update on merge);
  // blocked: whether two live clusters hold a cannot-link pair between them.
  std::vector<double> d = distances;
  std::vector<char> blocked(N * N, 0);
  for (const auto& [a, b] : cannot_link) {
    if (a < 0 || b < 0 || a >= n || b >= n)
      throw Error("clustering: cannot-link pair (" + std::to_string(a) + ", " + std::to_string(b) +
                  ") is out of range");
    blocked[static_cast<size_t>(a) * N + static_cast<size_t>(b)] = 1;
    blocked[static_cast<size_t>(b) * N + static_cast<size_t>(a)] = 1;
  }
  std::vector<int> size(N, 1), parent(N);
  for (size_t i = 0; i < N; ++i) parent[i] = static_cast<int>(i);
  std::vector<char> alive(N, 1);
  ClusteringResult result;
  while (true) {
    double best = std::numeric_limits<double>::infinity();
    size_t bi = 0, bj = 0;
    for (size_t i = 0; i < N; ++i) {
      if (!alive[i]) continue;
      for (size_t j = i + 1; j < N; ++j)
        if (alive[j] && !blocked[i * N + j] && d[i * N + j] < best) {
          best = d[i * N + j];
          bi = i;
          bj = j;
        }
    }
    if (!(best < max_distance)) break;
    // Merge bj into bi.
    const double wi = size[bi], wj = size[bj];
    for (size_t k = 0; k < N; ++k) {
      if (!alive[k] || k == bi || k == bj) continue;
      const double v = (wi * d[bi * N + k] + wj * d[bj * N + k]) / (wi + wj);
      d[bi * N + k] = d[k * N + bi] = v;
      const char b = blocked[bi * N + k] | blocked[bj * N + k];
      blocked[bi * N + k] = blocked[k * N + bi] = b;
    }
    size[bi] += size[bj];
    alive[bj] = 0;
    for (auto& p : parent)
      if (p == static_cast<int>(bj)) p = static_cast<int>(bi);
    ++result.merges;
  }
  // Count the merges that constraints refused: blocked pairs of final clusters closer than the
  // threshold.
  for (size_t i = 0; i < N; ++i)
    for (size_t j = i + 1; j < N; ++j)
      if (alive[i] && alive[j] && blocked[i * N + j] && d[i * N + j] < max_distance)
        ++result.blocked;
  std::vector<int> label_of(N, -1);
  result.labels.resize(N);
  for (size_t i = 0; i < N; ++i) {
    const size_t root = static_cast<size_t>(parent[i]);
    if (label_of[root] < 0) label_of[root] = result.clusters++;
    result.labels[i] = label_of[root];
  }
  return result;
}

double quantile(std::vector<double> values, double rate) {
  if (values.empty()) throw Error("quantile of no values");
  if (!(rate >= 0 && rate <= 1)) throw Error("quantile: rate must be in [0, 1]");
  std::sort(values.begin(), values.end());
  const double pos = rate * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(values.size() - 1, lo + 1);
  return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

}  // namespace hat
