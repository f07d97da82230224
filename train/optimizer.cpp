#include "train/optimizer.h"

namespace hat {

namespace {

bool is_transformer_block(const std::string& name) {
  return name.rfind("aggregation.tfc", 0) == 0 && name.find(".blocks.") != std::string::npos;
}

}  // namespace

std::unique_ptr<torch::optim::Adam> make_optimizer(HatModelImpl& model, const OptimizerOptions& o) {
  std::vector<torch::Tensor> rest, blocks;
  for (const auto& p : model.named_parameters()) {
    if (!p.value().requires_grad()) continue;  // the BNNecks' frozen shifts
    (is_transformer_block(p.key()) ? blocks : rest).push_back(p.value());
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(rest, std::make_unique<torch::optim::AdamOptions>(
                                torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay)));
  groups.emplace_back(
      blocks,
      std::make_unique<torch::optim::AdamOptions>(
          torch::optim::AdamOptions(o.lr * o.transformer_lr_factor).weight_decay(o.weight_decay)));
  return std::make_unique<torch::optim::Adam>(
      groups, torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
}

void set_learning_rate(torch::optim::Adam& optimizer, double lr, const OptimizerOptions& o) {
  auto& groups = optimizer.param_groups();
  static_cast<torch::optim::AdamOptions&>(groups[0].options()).lr(lr);
  static_cast<torch::optim::AdamOptions&>(groups[1].options()).lr(lr * o.transformer_lr_factor);
}

}  // namespace hat
