// Channels-last (NHWC) layout for a model's convolution weights: cuDNN runs NHWC convolutions on
// the tensor cores without layout transposes when both weights and activations use it.
#pragma once

#include <torch/torch.h>

namespace hat {

void convert_to_channels_last(torch::nn::Module& module);

}  // namespace hat
