// Random unit-length embeddings for the gallery's benchmarks: as incompressible as real ones
// and, from a seeded generator, the same in every run.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace hat {

// `rows` embeddings of `dim` normally distributed values each, every row scaled to unit L2
// norm, row after row in one vector.
inline std::vector<float> random_unit_rows(int64_t rows, int dim, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> out(static_cast<size_t>(rows * dim));
  for (int64_t r = 0; r < rows; ++r) {
    float* row = out.data() + r * dim;
    double norm = 0;
    for (int d = 0; d < dim; ++d) {
      row[d] = normal(rng);
      norm += static_cast<double>(row[d]) * row[d];
    }
    for (int d = 0; d < dim; ++d) row[d] = static_cast<float>(row[d] / std::sqrt(norm));
  }
  return out;
}

}  // namespace hat
