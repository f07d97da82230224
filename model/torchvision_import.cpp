#include "model/torchvision_import.h"

#include "base/error.h"

namespace hat {

bool is_torchvision_state(const StateDict& state) {
  return state.contains("conv1.weight") && state.contains("layer4.0.conv1.weight");
}

Backbone detect_torchvision_backbone(const StateDict& state) {
  if (state.contains("layer1.0.conv3.weight")) return Backbone::kResNet50;
  return state.contains("layer3.5.conv1.weight") ? Backbone::kResNet34 : Backbone::kResNet18;
}

void import_torchvision_backbone(HatModelImpl& model, const StateDict& state,
                                 const std::string& source) {
  const Backbone found = detect_torchvision_backbone(state);
  if (found != model.config().backbone)
    throw Error(source + ": holds a " + to_string(found) + ", but preset '" +
                model.config().preset + "' uses a " + to_string(model.config().backbone));
  StateDict backbone_state;
  for (const auto& item : state) {
    if (item.key().rfind("fc.", 0) == 0) continue;  // the ImageNet classifier
    backbone_state.insert(item.key(), item.value());
  }
  load_state(*model.named_children()["backbone"], backbone_state, source);
}

}  // namespace hat
