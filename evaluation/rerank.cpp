#include "evaluation/rerank.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "base/error.h"

namespace hat {

namespace {

struct Neighbour {
  float d;
  int j;
  bool operator<(const Neighbour& o) const { return d < o.d || (d == o.d && j < o.j); }
};

bool contains(const std::vector<int>& list, int size, int value) {
  const int n = std::min<int>(size, static_cast<int>(list.size()));
  return std::find(list.begin(), list.begin() + n, value) != list.begin() + n;
}

// Members x of `i`'s first `size` neighbours that have `i` among their own first `size`.
std::vector<int> reciprocal(const std::vector<std::vector<int>>& ranks, int i, int size) {
  std::vector<int> out;
  const auto& forward = ranks[i];
  for (int a = 0; a < std::min<int>(size, static_cast<int>(forward.size())); ++a)
    if (contains(ranks[forward[a]], size, i)) out.push_back(forward[a]);
  return out;
}

}  // namespace

KReciprocalReranker::KReciprocalReranker(const torch::Tensor& query, const torch::Tensor& gallery,
                                         DistanceMetric metric, const RerankParams& params,
                                         int64_t block_bytes)
    : num_query_(query.size(0)), num_gallery_(gallery.size(0)), params_(params) {
  if (params.k1 < 1 || params.k2 < 1 || params.k2 > params.k1 + 1 || params.lambda < 0 ||
      params.lambda > 1)
    throw Error("re-ranking needs k1 >= 1, 1 <= k2 <= k1 + 1 and lambda in [0, 1]");
  const torch::Tensor all = torch::cat({query, gallery});
  const int n = static_cast<int>(all.size(0));
  const int keep = std::min(n, params.k1 + 1);
  DistanceBlocks pairs(all, all, metric);
  std::vector<std::vector<int>> ranks(n);  // first k1+1 neighbours of each sample, self included
  row_max_.assign(n, 0.f);

  // 1. Nearest neighbours and row maxima, one block of rows at a time.
  const int64_t block = pairs.block_size(block_bytes);
  for (int64_t begin = 0; begin < n; begin += block) {
    const int64_t count = std::min<int64_t>(block, n - begin);
    const auto& rows = pairs.rows(begin, count);
    at::parallel_for(0, count, 1, [&](int64_t lo, int64_t hi) {
      std::vector<Neighbour> buffer(n);
      for (int64_t r = lo; r < hi; ++r) {
        const float* row = rows[r].data_ptr<float>();
        float mx = 0;
        for (int j = 0; j < n; ++j) {
          buffer[j] = {row[j], j};
          mx = std::max(mx, row[j]);
        }
        std::partial_sort(buffer.begin(), buffer.begin() + keep, buffer.end());
        auto& out = ranks[begin + r];
        for (int a = 0; a < keep; ++a) out.push_back(buffer[a].j);
        row_max_[begin + r] = mx > 0 ? mx : 1.f;
      }
    });
  }

  // The metric's distance between two samples, divided by the first one's row maximum.
  const torch::Tensor sq =
      metric == DistanceMetric::kEuclidean ? all.pow(2).sum(1) : torch::Tensor();
  auto normalized_distance = [&](int i, const std::vector<int>& js) {
    const auto idx = torch::tensor(std::vector<int64_t>(js.begin(), js.end()));
    auto dot = all.index_select(0, idx).mv(all[i]);
    torch::Tensor d = metric == DistanceMetric::kCosine
                          ? 1 - dot
                          : (sq[i] + sq.index_select(0, idx) - 2 * dot).clamp_min(0);
    return (d / row_max_[i]).contiguous();
  };

  // 2. k-reciprocal sets with expansion, weighted by exp(-distance).
  const int half =
      static_cast<int>(std::nearbyint(params.k1 / 2.0)) + 1;  // numpy's around: half to even
  std::vector<SparseRow> v(n);
  at::parallel_for(0, n, 16, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      const auto base = reciprocal(ranks, static_cast<int>(i), params.k1 + 1);
      std::vector<int> expanded = base;
      for (int candidate : base) {
        const auto cand = reciprocal(ranks, candidate, half);
        int shared = 0;
        for (int x : cand) shared += std::find(base.begin(), base.end(), x) != base.end();
        if (shared > 2.0 / 3.0 * cand.size())
          expanded.insert(expanded.end(), cand.begin(), cand.end());
      }
      std::sort(expanded.begin(), expanded.end());
      expanded.erase(std::unique(expanded.begin(), expanded.end()), expanded.end());
      const auto w = torch::exp(-normalized_distance(static_cast<int>(i), expanded));
      const auto wn = (w / w.sum()).contiguous();
      const float* p = wn.data_ptr<float>();
      for (size_t a = 0; a < expanded.size(); ++a) v[i].push_back({expanded[a], p[a]});
    }
  });

  // 3. Query expansion: the mean of the weight vectors of the first k2 neighbours.
  if (params.k2 > 1) {
    v_.resize(n);
    at::parallel_for(0, n, 64, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        std::map<int, float> sum;
        const int count = std::min<int>(params.k2, static_cast<int>(ranks[i].size()));
        for (int a = 0; a < count; ++a)
          for (const auto& [c, w] : v[ranks[i][a]]) sum[c] += w;
        for (const auto& [c, w] : sum) v_[i].push_back({c, w / params.k2});
      }
    });
  } else {
    v_ = std::move(v);
  }

  // 4. Inverted index over the columns.
  inverted_.assign(n, {});
  for (int i = 0; i < n; ++i)
    for (const auto& [c, w] : v_[i]) inverted_[c].push_back({i, w});
}

void KReciprocalReranker::apply(torch::Tensor& rows, int64_t begin) const {
  const int64_t count = rows.size(0);
  const float lambda = static_cast<float>(params_.lambda);
  at::parallel_for(0, count, 1, [&](int64_t lo, int64_t hi) {
    std::vector<float> shared(num_gallery_, 0.f);
    std::vector<int> touched;
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t q = begin + r;
      touched.clear();
      for (const auto& [c, wq] : v_[q])
        for (const auto& [other, wo] : inverted_[c]) {
          if (other < num_query_) continue;  // only the gallery columns are needed
          const int g = static_cast<int>(other - num_query_);
          if (shared[g] == 0.f) touched.push_back(g);
          shared[g] += std::min(wq, wo);
        }
      float* row = rows[r].data_ptr<float>();
      const float inv_max = 1.f / row_max_[q];
      // Jaccard distance 1 - t / (2 - t); it is 1 wherever the weight vectors do not overlap.
      for (int64_t g = 0; g < num_gallery_; ++g) row[g] = (1 - lambda) + lambda * row[g] * inv_max;
      for (int g : touched) {
        const float t = shared[g];
        row[g] -= (1 - lambda) * t / (2 - t);
        shared[g] = 0.f;
      }
    }
  });
}

}  // namespace hat
