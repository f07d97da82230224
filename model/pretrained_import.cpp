#include "model/pretrained_import.h"

#include "base/error.h"
#include "model/mobilenet_v2_import.h"
#include "model/torchvision_import.h"

namespace hat {

std::optional<Backbone> detect_pretrained_backbone(const StateDict& state) {
  if (is_torchvision_state(state)) return detect_torchvision_backbone(state);
  if (detect_mobilenet_v2_layout(state)) return Backbone::kMobileNetV2;
  return std::nullopt;
}

std::string default_preset_for(Backbone backbone) {
  switch (backbone) {
    case Backbone::kResNet50:
      return "hat-r50";
    case Backbone::kMobileNetV2:
      return "hat-mnv2";
    default:
      return "hat-r18";
  }
}

void import_pretrained_backbone(HatModelImpl& model, const StateDict& state,
                                const std::string& source) {
  const auto backbone = detect_pretrained_backbone(state);
  if (!backbone)
    throw Error(source +
                ": not ImageNet backbone weights (expected a torchvision ResNet-18/34/50 or a "
                "MobileNetV2 state dict; first key '" +
                (state.is_empty() ? std::string() : state.keys()[0]) + "')");
  if (*backbone == Backbone::kMobileNetV2)
    import_mobilenet_v2_backbone(model, state, source);
  else
    import_torchvision_backbone(model, state, source);
}

}  // namespace hat
