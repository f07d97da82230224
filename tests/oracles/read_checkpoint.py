#!/usr/bin/env python3
"""Checks that a hat-reid checkpoint is readable from Python with torch.load(weights_only=True).

Prints the preset and the number of tensors; exits non-zero when the file is not as documented.
Usage: read_checkpoint.py FILE
"""
import json
import sys

import torch
import torch.jit._pickle

# LibTorch tags its typed containers with restore_type_tag, a harmless helper that weights_only
# loading accepts once allowed.
with torch.serialization.safe_globals([torch.jit._pickle.restore_type_tag]):
    ckpt = torch.load(sys.argv[1], weights_only=True)
assert ckpt["format"] == "hat-reid-checkpoint", ckpt.get("format")
config = json.loads(ckpt["config"])
json.loads(ckpt["preprocess"])
json.loads(ckpt["provenance"])
assert all(isinstance(v, torch.Tensor) for v in ckpt["state_dict"].values())
print(config["preset"], len(ckpt["state_dict"]))
