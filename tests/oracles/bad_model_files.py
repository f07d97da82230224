#!/usr/bin/env python3
"""Model files that hat-model must refuse with a clear message (or read after conversion).

Writes into OUT_DIR: ordered_dict.pth (a state dict saved as the OrderedDict PyTorch returns),
whole_model.pth (a pickled nn.Module), legacy.pth (pre-1.6 serialisation) and
training_checkpoint.pth (a dict with a nested state dict and an epoch number).
Usage: bad_model_files.py OUT_DIR
"""
import os
import sys

import torch


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    torch.save(model.state_dict(), os.path.join(out, "ordered_dict.pth"))
    torch.save(model, os.path.join(out, "whole_model.pth"))
    torch.save(dict(model.state_dict()), os.path.join(out, "legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save({"state_dict": dict(model.state_dict()), "epoch": 3}, os.path.join(out, "training_checkpoint.pth"))


if __name__ == "__main__":
    main(sys.argv[1])
