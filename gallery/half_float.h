// IEEE 754 binary16 <-> float32: the gallery stores embeddings as fp16 (half the bytes of fp32,
// and a cosine similarity that differs by < 1e-3), and no CPU instruction set can be assumed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hat {

uint16_t float_to_half(float value);  // round to nearest even; overflow saturates to infinity
float half_to_float(uint16_t value);

// `count` floats as 2*count little-endian bytes, and back.
std::string encode_half(const float* values, size_t count);
std::vector<float> decode_half(const void* bytes, size_t count);

}  // namespace hat
