#!/usr/bin/env python3
"""The MOTChallenge metrics of a tracker file against ground truth, by py-motmetrics 1.4.0
(the oracle for hat-eval mot). Prints one JSON object.

    motmetrics_score.py GT.txt TRACKS.txt [--iou 0.5]
"""
import argparse
import json

import motmetrics as mm


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("gt")
    parser.add_argument("tracks")
    parser.add_argument("--iou", type=float, default=0.5)
    args = parser.parse_args()
    # Ground truth rows with flag 0 are ignored, as the MOTChallenge devkit does.
    gt = mm.io.loadtxt(args.gt, fmt="mot15-2D", min_confidence=1)
    tracks = mm.io.loadtxt(args.tracks, fmt="mot15-2D")
    acc = mm.utils.compare_to_groundtruth(gt, tracks, "iou", distth=args.iou)
    names = ["mota", "idf1", "precision", "recall", "num_switches", "num_misses",
             "num_false_positives", "num_objects", "num_predictions", "idtp",
             "num_unique_objects"]
    summary = mm.metrics.create().compute(acc, metrics=names, name="scene")
    row = summary.loc["scene"]
    print(json.dumps({name: float(row[name]) for name in names}))


if __name__ == "__main__":
    main()
