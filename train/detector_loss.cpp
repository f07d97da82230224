#include "train/detector_loss.h"

#include <algorithm>
#include <cmath>

namespace hat {

namespace {
// TTFNet's Gaussian: sigma = alpha * side / 6; at least half a cell so small people still peak.
constexpr double kGaussianAlpha = 0.54;
constexpr double kMinSigma = 0.5;
}  // namespace

DetectorTargets detector_targets(const std::vector<std::vector<cv::Rect2f>>& boxes,
                                 const std::vector<std::vector<cv::Rect2f>>& ignore, cv::Size map) {
  const auto batch = static_cast<int64_t>(boxes.size());
  const int64_t h = map.height, w = map.width;
  size_t most = 1;
  for (const auto& b : boxes) most = std::max(most, b.size());
  const auto k_max = static_cast<int64_t>(most);
  DetectorTargets t;
  t.heat = torch::zeros({batch, 1, h, w});
  t.weight = torch::ones({batch, 1, h, w});
  t.index = torch::zeros({batch, k_max}, torch::kLong);
  t.present = torch::zeros({batch, k_max});
  t.offset = torch::zeros({batch, k_max, 2});
  t.size = torch::zeros({batch, k_max, 2});
  const auto s = static_cast<double>(kPersonDetectorStride);
  auto heats = t.heat.accessor<float, 4>(), weights = t.weight.accessor<float, 4>();
  auto index = t.index.accessor<int64_t, 2>();
  auto present = t.present.accessor<float, 2>();
  auto offset = t.offset.accessor<float, 3>(), size = t.size.accessor<float, 3>();
  for (int64_t b = 0; b < batch; ++b) {
    auto heat = heats[b][0];
    auto weight = weights[b][0];
    // Ignore first; people's Gaussians then win back their own cells.
    for (const auto& r : ignore[static_cast<size_t>(b)]) {
      for (int64_t y = std::max<int64_t>(0, static_cast<int64_t>(r.y / s));
           y < std::min<int64_t>(h, static_cast<int64_t>(std::ceil(r.br().y / s))); ++y)
        for (int64_t x = std::max<int64_t>(0, static_cast<int64_t>(r.x / s));
             x < std::min<int64_t>(w, static_cast<int64_t>(std::ceil(r.br().x / s))); ++x)
          weight[y][x] = 0;
    }
    int64_t k = 0;
    for (const auto& r : boxes[static_cast<size_t>(b)]) {
      const double cx = (r.x + r.width / 2.0) / s, cy = (r.y + r.height / 2.0) / s;
      const auto ix = static_cast<int64_t>(std::floor(cx)),
                 iy = static_cast<int64_t>(std::floor(cy));
      if (ix < 0 || iy < 0 || ix >= w || iy >= h || r.width <= 0 || r.height <= 0) continue;
      const double sx = std::max(kMinSigma, kGaussianAlpha * r.width / s / 6),
                   sy = std::max(kMinSigma, kGaussianAlpha * r.height / s / 6);
      const int64_t rx = static_cast<int64_t>(std::ceil(3 * sx)),
                    ry = static_cast<int64_t>(std::ceil(3 * sy));
      for (int64_t y = std::max<int64_t>(0, iy - ry); y <= std::min(h - 1, iy + ry); ++y) {
        for (int64_t x = std::max<int64_t>(0, ix - rx); x <= std::min(w - 1, ix + rx); ++x) {
          const double dx = static_cast<double>(x - ix), dy = static_cast<double>(y - iy);
          const auto g =
              static_cast<float>(std::exp(-dx * dx / (2 * sx * sx) - dy * dy / (2 * sy * sy)));
          heat[y][x] = std::max(heat[y][x], g);
          if (g > 0.05f) weight[y][x] = 1;
        }
      }
      heat[iy][ix] = 1;
      index[b][k] = iy * w + ix;
      present[b][k] = 1;
      offset[b][k][0] = static_cast<float>(cx - ix - 0.5);
      offset[b][k][1] = static_cast<float>(cy - iy - 0.5);
      size[b][k][0] = static_cast<float>(std::log(r.width / s));
      size[b][k][1] = static_cast<float>(std::log(r.height / s));
      ++k;
    }
  }
  return t;
}

DetectorLoss detector_loss(const PersonDetectorMaps& maps, const DetectorTargets& targets) {
  const auto device = maps.heat.device();
  const auto target = targets.heat.to(device), weight = targets.weight.to(device);
  // Penalty-reduced focal loss on logits (log-sigmoid for stability).
  const auto log_p = torch::log_sigmoid(maps.heat), log_q = torch::log_sigmoid(-maps.heat);
  const auto p = torch::sigmoid(maps.heat);
  const auto positive = (target == 1).to(torch::kFloat);
  const auto pos_loss = -positive * (1 - p).pow(2) * log_p;
  const auto neg_loss = -(1 - positive) * (1 - target).pow(4) * p.pow(2) * log_q;
  const auto present = targets.present.to(device);
  const auto count = torch::clamp_min(present.sum(), 1.0);
  DetectorLoss loss;
  loss.heat = ((pos_loss + neg_loss) * weight).sum() / count;
  // Regression at the centre cells: gather [B, 2, HW] at [B, K].
  auto gather = [&](const torch::Tensor& map) {
    const auto flat = map.flatten(2);  // [B, 2, HW]
    const auto index = targets.index.to(device).unsqueeze(1).expand({-1, 2, -1});
    return flat.gather(2, index).permute({0, 2, 1});  // [B, K, 2]
  };
  const auto mask = present.unsqueeze(2);
  loss.offset = ((gather(maps.offset) - targets.offset.to(device)).abs() * mask).sum() / count;
  loss.size = ((gather(maps.size) - targets.size.to(device)).abs() * mask).sum() / count;
  loss.total = loss.heat + loss.offset + loss.size;
  return loss;
}

}  // namespace hat
