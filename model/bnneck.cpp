#include "model/bnneck.h"

namespace hat {

namespace nn = torch::nn;

BnNeckImpl::BnNeckImpl(int64_t dim, int64_t num_classes)
    : bn_(register_module("bn", nn::BatchNorm1d(dim))) {
  // The shift stays at zero so that the normalised feature is not offset away from the origin
  // (the BNNeck recipe); a loaded checkpoint may still carry a non-zero value.
  bn_->bias.requires_grad_(false);
  if (num_classes > 0) {
    classifier_ =
        register_module("classifier", nn::Linear(nn::LinearOptions(dim, num_classes).bias(false)));
    nn::init::normal_(classifier_->weight, 0.0, 0.001);
  }
}

}  // namespace hat
