// ImageNet weights for a model's backbone, whichever network they are for: torchvision's
// ResNet-18/34/50 (model/torchvision_import.h) or MobileNetV2 in either of its layouts
// (model/mobilenet_v2_import.h). What `hat-train --pretrained` and the model loader use.
#pragma once

#include <optional>
#include <string>

#include "model/config.h"
#include "model/hat_model.h"
#include "model/state_dict.h"

namespace hat {

// The backbone a dict of ImageNet weights is for; std::nullopt when it is none of those.
std::optional<Backbone> detect_pretrained_backbone(const StateDict& state);

// The preset a bare backbone starts from: hat-r50 for ResNet-50, hat-mnv2 for MobileNetV2,
// hat-r18 otherwise.
std::string default_preset_for(Backbone backbone);

// Copies the weights into model's backbone (the ImageNet classifier dropped). hat::Error names
// `source` for a dict of no known backbone, one of another network than the model's (saying
// both), and the first key that does not fit.
void import_pretrained_backbone(HatModelImpl& model, const StateDict& state,
                                const std::string& source);

}  // namespace hat
