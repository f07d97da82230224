#include "evaluation/synthetic_features.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "base/error.h"

namespace hat {

namespace {

// Identities round-robin, cameras drawn at random: every identity spans several cameras.
Labels make_labels(int64_t n, const SyntheticSpec& s, torch::Generator& gen, int64_t offset) {
  Labels l;
  const auto cams = torch::randint(s.cameras, {n}, gen, torch::kInt64);
  const int64_t* c = cams.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    l.pids.push_back(static_cast<int>((i + offset) % s.ids) + 1);
    l.camids.push_back(static_cast<int>(c[i]));
  }
  return l;
}

// Built a slice of rows at a time: full-size temporaries would double the memory of a
// benchmark that is about memory.
torch::Tensor make_features(const Labels& l, const torch::Tensor& centres,
                            const torch::Tensor& shifts, const SyntheticSpec& s,
                            torch::Generator& gen) {
  const auto n = static_cast<int64_t>(l.size());
  const auto pid = torch::tensor(std::vector<int64_t>(l.pids.begin(), l.pids.end())) - 1;
  const auto cam = torch::tensor(std::vector<int64_t>(l.camids.begin(), l.camids.end()));
  auto f = torch::empty({n, s.dim});
  const double scale = s.noise / std::sqrt(static_cast<double>(s.dim));  // noise norm ~ s.noise
  for (int64_t begin = 0; begin < n; begin += 4096) {
    const int64_t count = std::min<int64_t>(4096, n - begin);
    auto rows = f.narrow(0, begin, count);
    rows.normal_(0.0, scale, gen);
    rows.add_(centres.index_select(0, pid.narrow(0, begin, count)));
    rows.add_(shifts.index_select(0, cam.narrow(0, begin, count)));
  }
  return f;
}

}  // namespace

SyntheticFeatures make_synthetic_features(const SyntheticSpec& s) {
  if (s.queries < 1 || s.gallery < 1 || s.dim < 1 || s.ids < 1 || s.cameras < 1)
    throw Error("synthetic features need positive sizes");
  torch::InferenceMode guard;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(s.seed);
  auto unit = [&](int64_t rows, double scale) {
    auto t = torch::randn({rows, s.dim}, gen);
    return t.div_(t.norm(2, 1, true)).mul_(scale);
  };
  const auto centres = unit(s.ids, s.identity);
  const auto shifts = unit(s.cameras, s.camera_shift);
  SyntheticFeatures out;
  out.query_labels = make_labels(s.queries, s, gen, 0);
  out.gallery_labels = make_labels(s.gallery, s, gen, 0);
  out.query = make_features(out.query_labels, centres, shifts, s, gen);
  out.gallery = make_features(out.gallery_labels, centres, shifts, s, gen);
  return out;
}

}  // namespace hat
