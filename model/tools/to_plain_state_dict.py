#!/usr/bin/env python3
"""Rewrite a PyTorch model file as the plain dict of tensors that hat-model reads.

Accepts an OrderedDict state dict, a pickled nn.Module, a training checkpoint holding a
'state_dict' or 'model' entry, and pre-1.6 (non-zip) files.
Usage: to_plain_state_dict.py IN.pth OUT.pth
"""
import sys

import torch


def main(src, dst):
    obj = torch.load(src, map_location="cpu", weights_only=False)  # trusted files only
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    for key in ("state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), (dict, torch.nn.Module)):
            obj = obj[key]
            obj = obj.state_dict() if isinstance(obj, torch.nn.Module) else obj
    if not isinstance(obj, dict):
        sys.exit(f"{src}: no state dict found (a {type(obj).__name__})")
    state = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    dropped = sorted(set(obj) - set(state))
    if dropped:
        print(f"dropped non-tensor entries: {', '.join(map(str, dropped))}", file=sys.stderr)
    torch.save(state, dst)
    print(f"wrote {dst}: {len(state)} tensors")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
