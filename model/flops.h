// Analytic compute count of a configuration: what one crop costs, as executed.
#pragma once

#include "model/config.h"

namespace hat {

// Multiply-accumulates x 2 of convolutions, linear layers and attention matmuls for one crop at
// the configured input size (BN, activations, pooling and softmax are not counted).
struct FlopCount {
  double backbone = 0;   // the CNN: ResNet's stem + layer1..4, or MobileNetV2's features
  double refine = 0;     // per-level bottleneck stacks
  double tfc = 0;        // token embedding, Transformer blocks, NeA
  double attention = 0;  // of which: QK^T and AV matmuls
  double heads = 0;      // classifiers (0 without classes)
  double total() const { return backbone + refine + tfc + heads; }
};

FlopCount count_flops(const HatConfig& config);

}  // namespace hat
