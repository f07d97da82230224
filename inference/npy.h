// NumPy .npy files (version 1.0, little-endian float32/float64, C order): the exchange format
// for embeddings between the tools and any other system.
#pragma once

#include <string>

#include <torch/torch.h>

namespace hat {

// Writes a tensor of any rank >= 1 as float32 .npy, atomically.
void write_npy(const std::string& path, const torch::Tensor& tensor);

// Reads a float32 or float64 .npy (any rank) as a float32 tensor; hat::Error names the file and
// what is wrong with it.
torch::Tensor read_npy(const std::string& path);

}  // namespace hat
