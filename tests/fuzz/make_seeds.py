#!/usr/bin/env python3
"""Writes the hand-made part of the fuzz targets' seed corpora (tests/fuzz/corpus/TARGET/):
small valid and near-valid inputs from which libFuzzer reaches each reader's deeper checks.
The rest of each corpus is what libFuzzer found and `-merge=1` minimised (docs/RELIABILITY.md).
Usage: .venv/bin/python tests/fuzz/make_seeds.py [CORPUS_DIR]  (needs torch and numpy)
"""
import io
import json
import os
import sys

import numpy as np
import torch


def write(corpus, target, name, data):
    folder = os.path.join(corpus, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def saved(obj, zip_format=True):
    buffer = io.BytesIO()
    torch.save(obj, buffer, _use_new_zipfile_serialization=zip_format)
    return buffer.getvalue()


def model_files(corpus):
    torch.manual_seed(0)
    linear = torch.nn.Linear(4, 2).state_dict()
    write(corpus, "model_file", "state-dict-zip.pth", saved(linear))
    write(corpus, "model_file", "state-dict-legacy.pth", saved(dict(linear), zip_format=False))
    write(corpus, "model_file", "nested-state-dict.pth", saved({"state_dict": dict(linear), "epoch": 3}))
    # A project checkpoint's outer structure (format marker, config, provenance) around a few
    # tensors: the checkpoint decoder's checks run before the weights'.
    config = {"preset": "tiny", "backbone": "resnet18", "width": 8}
    write(corpus, "model_file", "checkpoint-shaped.hat", saved({
        "format": "hat-reid-checkpoint", "version": 1, "config": json.dumps(config),
        "preprocess": json.dumps({"height": 64, "width": 32}), "provenance": "{}",
        "state_dict": {"backbone.conv1.weight": torch.zeros(8, 3, 3, 3)}}))
    # Reference-style and torchvision-style key names.
    write(corpus, "model_file", "reference-keys.pth", saved({
        "base.conv1.weight": torch.zeros(2, 3, 1, 1), "classifier.weight": torch.zeros(3, 2)}))
    write(corpus, "model_file", "torchvision-keys.pth", saved({
        "conv1.weight": torch.zeros(2, 3, 1, 1), "bn1.running_mean": torch.zeros(2),
        "fc.weight": torch.zeros(3, 2)}))
    write(corpus, "model_file", "mobilenet-keys.pth", saved({
        "features.0.0.weight": torch.zeros(2, 3, 3, 3)}))


def npy_files(corpus):
    for name, array in [("f32.npy", np.arange(6, dtype="<f4").reshape(2, 3)),
                        ("f64.npy", np.arange(4, dtype="<f8")),
                        ("f32-3d.npy", np.zeros((2, 1, 2), dtype="<f4")),
                        ("fortran.npy", np.asfortranarray(np.zeros((2, 2), dtype="<f4"))),
                        ("int.npy", np.arange(3, dtype="<i4")),
                        ("big-endian.npy", np.arange(3, dtype=">f4"))]:
        buffer = io.BytesIO()
        np.save(buffer, array)
        write(corpus, "npy", name, buffer.getvalue())


def labels(corpus):
    write(corpus, "labels_tsv", "plain.tsv", "pid\tcamid\n1\t0\n2\t1\n-1\t3\n")
    write(corpus, "labels_tsv", "with-path.tsv", "path\tpid\tcamid\tx\na.jpg\t1\t0\t9\nb.jpg\t2\t1\t9\n")
    write(corpus, "labels_tsv", "crlf.tsv", "pid\tcamid\r\n1\t0\r\n")


def datasets(corpus):
    names = ["market1501", "dukemtmc", "cuhk03np-labeled", "cuhk03np-detected", "msmt17",
             "msmt17-v2", "custom"]
    pick = {n: bytes([i]) for i, n in enumerate(names)}
    market = "\n".join(["Market-1501-v15.09.15/bounding_box_train/0002_c1s1_000451_03.jpg",
                        "Market-1501-v15.09.15/bounding_box_train/0007_c2s3_070952_01.jpg",
                        "Market-1501-v15.09.15/query/0002_c2s1_000301_01.jpg",
                        "Market-1501-v15.09.15/bounding_box_test/0002_c3s1_000551_01.jpg",
                        "Market-1501-v15.09.15/bounding_box_test/-1_c1s1_000401_03.jpg",
                        "Market-1501-v15.09.15/bounding_box_test/0000_c1s1_000001_01.jpg"])
    write(corpus, "dataset_folder", "market", pick["market1501"] + market.encode())
    duke = market.replace("Market-1501-v15.09.15", "DukeMTMC-reID").replace("c1s1_", "c1_f")
    write(corpus, "dataset_folder", "duke", pick["dukemtmc"] + duke.encode())
    cuhk = "\n".join(["cuhk03-np/labeled/bounding_box_train/0001_c1_1.png",
                      "cuhk03-np/labeled/query/0002_c1_1.png",
                      "cuhk03-np/labeled/bounding_box_test/0002_c2_1.png"])
    write(corpus, "dataset_folder", "cuhk03np", pick["cuhk03np-labeled"] + cuhk.encode())
    msmt = "\n".join(["MSMT17_V1/train/0000/0000_000_01_0303morning_0008_0.jpg",
                      "MSMT17_V1/test/0001/0001_000_02_0303morning_0009_1.jpg",
                      "MSMT17_V1/list_train.txt\t0000/0000_000_01_0303morning_0008_0.jpg 0\\n",
                      "MSMT17_V1/list_val.txt\t",
                      "MSMT17_V1/list_query.txt\t0001/0001_000_02_0303morning_0009_1.jpg 1\\n",
                      "MSMT17_V1/list_gallery.txt\t0001/0001_000_02_0303morning_0009_1.jpg 1\\n"])
    write(corpus, "dataset_folder", "msmt17", pick["msmt17"] + msmt.encode())
    custom = "\n".join(["train/alice/a_c1_1.jpg", "train/bob/b_c2_1.jpg", "query/0001_c1_1.jpg",
                        "gallery/0001_c2_5.jpg", "gallery/0002_c1_5.jpg"])
    write(corpus, "dataset_folder", "custom", pick["custom"] + custom.encode())


def fdp(front_strings, rest, tail):
    """An input as FuzzedDataProvider reads it: random-length strings from the front (each ended
    by a lone backslash), the remaining bytes after them, integers taken from the end."""
    out = b""
    for s in front_strings:
        out += s.encode().replace(b"\\", b"\\\\") + b"\\n"
    return out + rest.encode() + bytes(tail)


def train_configs(corpus):
    config = json.dumps({"dataset": "market1501", "root": "/data", "output": "run", "epochs": 2,
                         "loss": {"margin": 0.3}, "augment": {"pad": 10}})
    write(corpus, "train_config", "config-only", fdp([], config, [0]))
    write(corpus, "train_config", "with-overrides",
          fdp(["epochs=5", "loss.margin=0.5", "lr=bad"], config, [3]))
    write(corpus, "train_config", "section-override", fdp(["loss.x.y=1"], "{}", [1]))


def main(corpus):
    model_files(corpus)
    npy_files(corpus)
    labels(corpus)
    datasets(corpus)
    train_configs(corpus)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus"))
