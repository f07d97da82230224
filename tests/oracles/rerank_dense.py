#!/usr/bin/env python3
"""Oracle for the re-ranking: the published dense k-reciprocal algorithm (Zhong et al., CVPR 2017)
in numpy, float32, on the same distance hat-eval uses (cosine distance of unit rows, or squared
Euclidean), rows divided by their maximum.

Usage: rerank_dense.py QUERY.npy GALLERY.npy METRIC K1 K2 LAMBDA OUT.npy
Writes the re-ranked query x gallery distances.
"""
import sys

import numpy as np


def distances(a, b, metric):
    if metric == "cosine":
        return 1.0 - a @ b.T
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(sq, 0.0)


def k_reciprocal(rank, i, k):
    forward = rank[i, :k]
    backward = rank[forward, :k]
    return forward[np.where(backward == i)[0]]


def rerank(q, g, metric, k1, k2, lam):
    feats = np.concatenate([q, g]).astype(np.float32)
    if metric == "cosine":
        feats /= np.linalg.norm(feats, axis=1, keepdims=True)
    nq, n = len(q), len(feats)
    dist = distances(feats, feats, metric).astype(np.float32)
    dist = dist / dist.max(axis=1, keepdims=True)
    rank = np.argsort(dist, axis=1, kind="stable")
    half = int(np.around(k1 / 2.0)) + 1
    v = np.zeros((n, n), dtype=np.float32)
    for i in range(n):
        base = k_reciprocal(rank, i, k1 + 1)
        expanded = base
        for c in base:
            cand = k_reciprocal(rank, c, half)
            if len(np.intersect1d(cand, base)) > 2.0 / 3.0 * len(cand):
                expanded = np.append(expanded, cand)
        expanded = np.unique(expanded)
        w = np.exp(-dist[i, expanded])
        v[i, expanded] = w / w.sum()
    if k2 != 1:
        v = np.stack([v[rank[i, :k2]].mean(axis=0) for i in range(n)])
    jaccard = np.zeros((nq, n), dtype=np.float32)
    for i in range(nq):
        t = np.minimum(v[i][None, :], v).sum(axis=1)
        jaccard[i] = 1.0 - t / (2.0 - t)
    final = (1.0 - lam) * jaccard + lam * dist[:nq]
    return final[:, nq:]


if __name__ == "__main__":
    q, g = np.load(sys.argv[1]), np.load(sys.argv[2])
    out = rerank(q, g, sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]))
    np.save(sys.argv[7], out.astype(np.float32))
