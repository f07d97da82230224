#include "model/backbone.h"

#include "model/mobilenet_v2.h"
#include "model/resnet.h"

namespace hat {

std::shared_ptr<BackboneNetImpl> make_backbone(const HatConfig& config) {
  if (config.backbone == Backbone::kMobileNetV2) return std::make_shared<MobileNetV2Impl>(config);
  return std::make_shared<ResNetImpl>(config);
}

}  // namespace hat
