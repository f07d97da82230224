#!/usr/bin/env python3
"""Oracle for the torchvision importer: random-weight torchvision ResNets and their outputs.

For each of resnet18/34/50 writes OUT/NAME.pth (a plain state dict, random weights with random BN
statistics) and OUT/NAME_layerK.npy, the eval-mode outputs of layer1..layer4 for OUT/input.npy
(2 x 3 x 256 x 128).
Usage: torchvision_resnet.py OUT_DIR
"""
import os
import sys

import numpy as np
import torch
import torchvision

from random_bn import randomize_batch_norms


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    x = torch.randn(2, 3, 256, 128)
    np.save(os.path.join(out, "input.npy"), x.numpy())
    for name in ("resnet18", "resnet34", "resnet50"):
        model = getattr(torchvision.models, name)(weights=None).eval()
        randomize_batch_norms(model)
        with torch.no_grad():
            torch.save(dict(model.state_dict()), os.path.join(out, name + ".pth"))
            y = model.maxpool(model.relu(model.bn1(model.conv1(x))))
            for k in range(1, 5):
                y = getattr(model, f"layer{k}")(y)
                np.save(os.path.join(out, f"{name}_layer{k}.npy"), y.numpy())


if __name__ == "__main__":
    main(sys.argv[1])
