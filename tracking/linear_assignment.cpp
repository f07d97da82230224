#include "tracking/linear_assignment.h"

#include <algorithm>
#include <limits>

namespace hat::tracking {

std::vector<std::pair<int, int>> solve_assignment(const std::vector<std::vector<double>>& cost,
                                                  double max_cost) {
  const int rows = static_cast<int>(cost.size());
  const int cols = rows == 0 ? 0 : static_cast<int>(cost[0].size());
  if (rows == 0 || cols == 0) return {};
  // The potentials method needs rows <= columns: solve the transpose otherwise.
  const bool transpose = rows > cols;
  const int n = transpose ? cols : rows, m = transpose ? rows : cols;
  auto at = [&](int i, int j) {
    // Costs at or above max_cost are clamped so a forbidden pair never outweighs a chain of
    // allowed ones; such pairs are dropped after solving.
    const double c = transpose ? cost[static_cast<size_t>(j)][static_cast<size_t>(i)]
                               : cost[static_cast<size_t>(i)][static_cast<size_t>(j)];
    return std::min(c, max_cost);
  };
  const double inf = std::numeric_limits<double>::infinity();
  // 1-based arrays, column 0 is the virtual start (the classic O(n^2 m) formulation).
  std::vector<double> u(static_cast<size_t>(n) + 1, 0.0), v(static_cast<size_t>(m) + 1, 0.0);
  std::vector<int> match(static_cast<size_t>(m) + 1, 0), way(static_cast<size_t>(m) + 1, 0);
  for (int i = 1; i <= n; ++i) {
    match[0] = i;
    int j0 = 0;
    std::vector<double> minv(static_cast<size_t>(m) + 1, inf);
    std::vector<char> used(static_cast<size_t>(m) + 1, 0);
    do {
      used[static_cast<size_t>(j0)] = 1;
      const int i0 = match[static_cast<size_t>(j0)];
      double delta = inf;
      int j1 = 0;
      for (int j = 1; j <= m; ++j) {
        if (used[static_cast<size_t>(j)]) continue;
        const double cur =
            at(i0 - 1, j - 1) - u[static_cast<size_t>(i0)] - v[static_cast<size_t>(j)];
        if (cur < minv[static_cast<size_t>(j)]) {
          minv[static_cast<size_t>(j)] = cur;
          way[static_cast<size_t>(j)] = j0;
        }
        if (minv[static_cast<size_t>(j)] < delta) {
          delta = minv[static_cast<size_t>(j)];
          j1 = j;
        }
      }
      for (int j = 0; j <= m; ++j) {
        if (used[static_cast<size_t>(j)]) {
          u[static_cast<size_t>(match[static_cast<size_t>(j)])] += delta;
          v[static_cast<size_t>(j)] -= delta;
        } else {
          minv[static_cast<size_t>(j)] -= delta;
        }
      }
      j0 = j1;
    } while (match[static_cast<size_t>(j0)] != 0);
    do {
      const int j1 = way[static_cast<size_t>(j0)];
      match[static_cast<size_t>(j0)] = match[static_cast<size_t>(j1)];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<std::pair<int, int>> pairs;
  for (int j = 1; j <= m; ++j) {
    const int i = match[static_cast<size_t>(j)];
    if (i == 0 || at(i - 1, j - 1) >= max_cost) continue;
    pairs.emplace_back(transpose ? j - 1 : i - 1, transpose ? i - 1 : j - 1);
  }
  std::sort(pairs.begin(), pairs.end());
  return pairs;
}

}  // namespace hat::tracking
