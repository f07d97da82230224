#include "train/losses.h"

#include "base/error.h"

namespace hat {

torch::Tensor label_smoothed_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels,
                                           double epsilon) {
  const int64_t classes = logits.size(1);
  const auto log_p = torch::log_softmax(logits.to(torch::kFloat32), 1);
  const auto nll = -log_p.gather(1, labels.unsqueeze(1)).squeeze(1);
  const auto uniform = -log_p.mean(1);
  if (classes < 1) throw Error("cross-entropy needs at least one class");
  return ((1 - epsilon) * nll + epsilon * uniform).mean();
}

torch::Tensor batch_hard_triplet(const torch::Tensor& features, const torch::Tensor& labels,
                                 double margin) {
  const auto f = features.to(torch::kFloat32);
  const auto sq = f.pow(2).sum(1, true);
  const auto dist = (sq + sq.t() - 2 * f.mm(f.t())).clamp_min(1e-12).sqrt();
  const auto same = labels.unsqueeze(0) == labels.unsqueeze(1);
  const auto self = torch::eye(labels.size(0), same.options());
  const auto positive = same & ~self;
  const auto negative = ~same;
  const auto has_both = positive.any(1) & negative.any(1);
  if (!has_both.any().item<bool>()) return f.sum() * 0;  // keeps the graph; nothing to mine
  const auto inf = std::numeric_limits<float>::infinity();
  const auto hardest_positive = dist.masked_fill(~positive, -inf).amax(1);
  const auto hardest_negative = dist.masked_fill(~negative, inf).amin(1);
  const auto loss = torch::relu(hardest_positive - hardest_negative + margin);
  return loss.masked_select(has_both).mean();
}

LossTerms deep_supervision_loss(const TrainOutput& out, const torch::Tensor& labels,
                                const LossWeights& w) {
  LossTerms t;
  t.total = torch::zeros({}, out.features[0].options().dtype(torch::kFloat32));
  for (int b = 0; b < 4; ++b) {
    if (!out.logits[b].defined())
      throw Error("deep supervision needs a model with classifiers (num_classes > 0)");
    t.identity[b] = label_smoothed_cross_entropy(out.logits[b], labels, w.label_smoothing);
    t.triplet[b] = batch_hard_triplet(out.features[b], labels, w.margin);
    t.total = t.total + w.identity[b] * t.identity[b] + w.triplet[b] * t.triplet[b];
  }
  return t;
}

}  // namespace hat
