#include "train/augmentations.h"

#include <cmath>

namespace hat {

namespace {

double uniform(at::Generator& gen, double lo, double hi) {
  return torch::empty({1}).uniform_(lo, hi, gen).item<double>();
}

int64_t randint(at::Generator& gen, int64_t hi) {  // [0, hi]
  return torch::randint(hi + 1, {1}, gen).item<int64_t>();
}

}  // namespace

torch::Tensor random_pad_crop(const torch::Tensor& image, int pad, const PreprocessConfig& p,
                              at::Generator& gen) {
  if (pad <= 0) return image;
  const int64_t h = image.size(1), w = image.size(2);
  auto padded = torch::empty({3, h + 2 * pad, w + 2 * pad}, image.options());
  for (int c = 0; c < 3; ++c) padded[c].fill_((0.0 - p.mean[c]) / p.std[c]);
  padded.narrow(1, pad, h).narrow(2, pad, w).copy_(image);
  const int64_t y = randint(gen, 2 * pad), x = randint(gen, 2 * pad);
  return padded.narrow(1, y, h).narrow(2, x, w).contiguous();
}

torch::Tensor random_flip(const torch::Tensor& image, double probability, at::Generator& gen) {
  return uniform(gen, 0, 1) < probability ? image.flip({2}) : image;
}

torch::Tensor random_erasing(const torch::Tensor& image, const AugmentOptions& o,
                             const PreprocessConfig& p, at::Generator& gen) {
  if (uniform(gen, 0, 1) >= o.erase_probability) return image;
  const int64_t h = image.size(1), w = image.size(2);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const double area = h * w * uniform(gen, o.erase_min_area, o.erase_max_area);
    const double aspect = uniform(gen, o.erase_min_aspect, 1.0 / o.erase_min_aspect);
    const auto eh = static_cast<int64_t>(std::round(std::sqrt(area * aspect)));
    const auto ew = static_cast<int64_t>(std::round(std::sqrt(area / aspect)));
    if (eh < 1 || ew < 1 || eh >= h || ew >= w) continue;
    const int64_t y = randint(gen, h - eh), x = randint(gen, w - ew);
    auto out = image.clone();
    for (int c = 0; c < 3; ++c) out[c].narrow(0, y, eh).narrow(1, x, ew).fill_(p.mean[c]);
    return out;
  }
  return image;
}

torch::Tensor augment(const torch::Tensor& image, const AugmentOptions& o,
                      const PreprocessConfig& p, at::Generator& gen) {
  auto x = random_flip(image, o.flip_probability, gen);
  x = random_pad_crop(x, o.pad, p, gen);
  return random_erasing(x, o, p, gen);
}

}  // namespace hat
