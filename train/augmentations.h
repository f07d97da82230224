// Training augmentations of the HAT recipe, on the shared preprocessing's output ([3, H, W],
// normalised): pad 10 + random crop, horizontal flip, random erasing. Every random choice comes
// from the given generator, so a seed fixes them.
#pragma once

#include <torch/torch.h>

#include "model/preprocess_config.h"

namespace hat {

struct AugmentOptions {
  int pad = 10;  // zero pixels (in image space) around, then a random crop back
  double flip_probability = 0.5;
  double erase_probability = 0.5;
  double erase_min_area = 0.02, erase_max_area = 0.4, erase_min_aspect = 0.3;
};

// Pads with black (the normalised value of pixel 0) and crops a random window of the input size.
torch::Tensor random_pad_crop(const torch::Tensor& image, int pad, const PreprocessConfig& p,
                              at::Generator& gen);
torch::Tensor random_flip(const torch::Tensor& image, double probability, at::Generator& gen);
// Erases one random rectangle, filled with the mean values (0.485, 0.456, 0.406) as the reference
// does after normalisation.
torch::Tensor random_erasing(const torch::Tensor& image, const AugmentOptions& o,
                             const PreprocessConfig& p, at::Generator& gen);

// All three, in the reference's order (flip, pad + crop, erasing).
torch::Tensor augment(const torch::Tensor& image, const AugmentOptions& o,
                      const PreprocessConfig& p, at::Generator& gen);

}  // namespace hat
