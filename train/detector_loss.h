// The site person detector's training targets and loss (CenterNet, Zhou et al. 2019, with
// TTFNet's box-shaped Gaussians): a heatmap that is 1 at the cell of each person's box centre
// and falls off as an elliptical Gaussian of the box's size, trained with the penalty-reduced
// focal loss; the sub-cell offset and log size regressed (L1) at the centre cells. Cells inside
// an ignore region (and away from every person) take no loss.
#pragma once

#include <vector>

#include <torch/torch.h>
#include <opencv2/core.hpp>

#include "model/person_detector_net.h"

namespace hat {

struct DetectorTargets {
  torch::Tensor heat;     // [B, 1, H, W] in 0..1, exactly 1 at centres
  torch::Tensor weight;   // [B, 1, H, W]: 0 where ignored, else 1
  torch::Tensor index;    // [B, K] long: flattened centre cell (K: most people in an image)
  torch::Tensor present;  // [B, K] float: 1 for a real entry, 0 for padding
  torch::Tensor offset;   // [B, K, 2]: centre - cell centre, in cells
  torch::Tensor size;     // [B, K, 2]: log(w / stride), log(h / stride)
};

// Boxes and ignore regions in network-input pixels, one list per image; `map` is the output
// map's size (input / kPersonDetectorStride). Boxes whose centre is outside the map are left
// out.
DetectorTargets detector_targets(const std::vector<std::vector<cv::Rect2f>>& boxes,
                                 const std::vector<std::vector<cv::Rect2f>>& ignore, cv::Size map);

struct DetectorLoss {
  torch::Tensor total, heat, offset, size;  // scalars; total = heat + offset + size
};

DetectorLoss detector_loss(const PersonDetectorMaps& maps, const DetectorTargets& targets);

}  // namespace hat
