#include "model/hat_model.h"

namespace hat {

namespace {
constexpr std::array<Branch, 4> kBranches = {Branch::kGlobal, Branch::kLevel1, Branch::kLevel2,
                                             Branch::kLevel3};
}

HatModelImpl::HatModelImpl(const HatConfig& config) : config_(config) {
  config_.validate();
  backbone_ = register_module("backbone", make_backbone(config_));
  aggregation_ = register_module("aggregation", Aggregation(config_));
  std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> named;
  for (Branch b : kBranches) {
    BnNeck neck(config_.branch_dim(b), config_.num_classes);
    named.emplace_back(to_string(b), neck.ptr());
    necks_[static_cast<int>(b)] = neck;
  }
  heads_ = register_module("heads", torch::nn::ModuleDict(named));
}

std::array<torch::Tensor, 4> HatModelImpl::features(const torch::Tensor& images) {
  const auto stages = backbone_->forward(images);
  const auto cls = aggregation_->forward(stages);
  // layer4 feeds only the global branch. flatten, not squeeze: a batch of one stays a batch.
  auto gap = torch::adaptive_avg_pool2d(stages[3], {1, 1}).flatten(1);
  return {gap, cls[0], cls[1], cls[2]};
}

TrainOutput HatModelImpl::forward_train(const torch::Tensor& images) {
  TrainOutput out;
  out.features = features(images);
  for (size_t i = 0; i < kBranches.size(); ++i) {
    auto& h = necks_[i];
    if (h->has_classifier()) out.logits[i] = h->classify(h->normalize(out.features[i]));
  }
  return out;
}

torch::Tensor HatModelImpl::embed(const torch::Tensor& images) {
  const auto f = features(images);
  std::vector<torch::Tensor> parts;
  for (Branch b : config_.embedding)
    parts.push_back(necks_[static_cast<int>(b)]->normalize(f[static_cast<int>(b)]));
  return parts.size() == 1 ? parts[0] : torch::cat(parts, 1);
}

}  // namespace hat
