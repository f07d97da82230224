// Import of torchvision's ResNet-18/34/50 state dicts (ImageNet weights) into the backbone.
#pragma once

#include <string>

#include "model/config.h"
#include "model/hat_model.h"
#include "model/state_dict.h"

namespace hat {

// True when the keys look like a torchvision ResNet (conv1, bn1, layer1..4, fc).
bool is_torchvision_state(const StateDict& state);

// Which ResNet the dict holds, from its keys (bottleneck conv3 / number of layer3 blocks).
Backbone detect_torchvision_backbone(const StateDict& state);

// Copies the dict into model's backbone (fc dropped); strict on the backbone's keys, so a dict of
// another depth is rejected with the key that does not fit.
void import_torchvision_backbone(HatModelImpl& model, const StateDict& state,
                                 const std::string& source);

}  // namespace hat
