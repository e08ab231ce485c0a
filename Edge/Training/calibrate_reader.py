"""Fits the whole-plate reader's confidence calibration and writes it into a model file.

Offline, after the reader is trained (train_reader.py); the gate only reads the table
(Edge/PlateRecognition/PlateReader.swift, `ReaderCalibration`). Fitted ONLY on rendered
calibration sets with their own seeds (never the benchmark sets, never photographs):

    bollard-edge recognize --reader whole-plate --model BASE --json --evidence IMAGES > set.jsonl
    python calibrate_reader.py --base BASE --out OUT --set labels.csv set.jsonl [--set ...]

Every read of every image counts, not only the first: on a rendered scene with one
plate, any other read is a phantom, and wrong. Reads that a rule caps below 0.9 anyway
(layout outside the list, light-on-dark, a skipped column, a character left out, an
unread glyph, another binarisation disagreeing) are left out of the fit: the caps still
apply after the mapping.

1. score = a ln(product of character probabilities) + c skipped + d, by logistic
   regression of "the read is right" on those measures (b, for the least probability,
   stays 0: it moves with the product and the pair take opposite signs; c is dropped
   when its sign would reward a skipped character);
2. isotonic regression (pool adjacent violators) of rightness on the score;
3. the 0.9 point: the lowest score above which the reads' error, as a one-sided 95 %
   Wilson upper bound, is at most 1 % (issue 9: a read at >= 0.9 is wrong at most
   once in a hundred), and above which no isotonic block's rightness has a lower bound
   under 90 % (a pocket of misreads must not ride on the many right reads). Below it the confidence stays under 0.9 whatever the isotonic
   fit says; above it it is the Wilson lower bound of the block's rightness, at least 0.9.
"""
import argparse
import csv
import json
import math
import os
import sys

import numpy as np

import model_file as M

Z = 1.645  # one-sided 95 %


def norm(text):
    t = "".join(c for c in str(text).upper() if c.isascii() and c.isalnum())
    return t.replace("O", "0")


def load(labels_path, results_path):
    truth = {}
    with open(labels_path, newline="") as f:
        for row in csv.DictReader(f):
            truth.setdefault(row["image"], set()).add(norm(row["plate"]))
    reads = []
    with open(results_path) as f:
        for line in f:
            if not line.strip():
                continue
            obj = json.loads(line)
            name = str(obj.get("image", "")).rsplit("/", 1)[-1]
            for rank, p in enumerate(obj.get("plates") or []):
                e = p.get("evidence")
                if e is None:
                    raise SystemExit(f"{results_path}: no evidence; run recognize with --reader whole-plate --json --evidence")
                reads.append({
                    "image": name, "rank": rank, "text": p["text"], "right": norm(p["text"]) in truth.get(name, set()),
                    "layout": p.get("layout", ""), **e,
                })
    return reads


def capped(r):
    return (r["layout"] == "other" or r["inverted"] or r["dropped"] or r["skipped"] > 0.3
            or r["unread"] > 0 or r["disputed"])


def features(reads):
    return np.array([[math.log(max(r["probability"], 1e-6)), math.log(max(r["minimum"], 1e-6)), r["skipped"], 1.0] for r in reads])


def fit_score(X, y):
    """Logistic weights for (ln product, ln least, skipped, 1), kept monotone: a larger
    probability must not lower the score, a larger skipped mass must not raise it. The
    least probability is left out (it moves with the product, and together they take
    opposite signs); skipped is dropped when its fitted sign is wrong."""
    cols = [0, 2, 3]
    w = logistic(X[:, cols], y)
    if w[1] > 0:
        cols = [0, 3]
        w = logistic(X[:, cols], y)
    full = np.zeros(X.shape[1])
    full[cols] = w
    if full[0] <= 0:
        raise SystemExit("the fitted score does not grow with the reading's probability")
    return full


def logistic(X, y, l2=1e-2, iterations=50):
    w = np.zeros(X.shape[1])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(X @ w)))
        g = X.T @ (p - y) + l2 * w
        H = (X * (p * (1 - p))[:, None]).T @ X + l2 * np.eye(X.shape[1])
        step = np.linalg.solve(H, g)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return w


def pav(y):
    """Isotonic (non-decreasing) blocks of y, already sorted by score: list of (start, end, mean)."""
    blocks = []
    for i, v in enumerate(y):
        blocks.append([i, i + 1, float(v), 1])
        while len(blocks) > 1 and blocks[-2][2] >= blocks[-1][2]:  # ties pooled too
            b = blocks.pop()
            a = blocks[-1]
            a[2] = (a[2] * a[3] + b[2] * b[3]) / (a[3] + b[3])
            a[3] += b[3]
            a[1] = b[1]
    return [(a, b, m) for a, b, m, _ in blocks]


def wilson(right, n, lower=True):
    if n == 0:
        return 0.0 if lower else 1.0
    p = right / n
    centre = p + Z * Z / (2 * n)
    spread = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return (centre - spread) / (1 + Z * Z / n) if lower else (centre + spread) / (1 + Z * Z / n)


def fit(reads, target_error=0.01):
    fitted = [r for r in reads if not capped(r)]
    X = features(fitted)
    y = np.array([1.0 if r["right"] else 0.0 for r in fitted])
    w = fit_score(X, y)
    s = X @ w
    order = np.argsort(s, kind="stable")
    s, y = s[order], y[order]
    # the 0.9 point: lowest score whose reads at or above it are wrong at most 1 % (upper bound)
    n = len(y)
    s90 = None
    wrong_above = np.cumsum((1 - y)[::-1])[::-1]  # wrong reads at index i and above
    for i in range(n):
        if i > 0 and s[i] == s[i - 1]:
            continue
        count = n - i
        if wilson(count - wrong_above[i], count, lower=True) >= 1 - target_error:
            s90 = float(s[i])
            break
    if s90 is None:
        raise SystemExit("no score range reaches 99 % right on the calibration set")
    # and no isotonic block at or above it may itself be below 90 % right (lower bound):
    # a pocket of misreads just above the point must not ride on the many right reads above
    blocks = pav(y)
    for a, b, m in reversed(blocks):
        if wilson(int(round(m * (b - a))), b - a) < 0.9:
            s90 = max(s90, float(s[b]) if b < n else math.inf)
            break
    if not math.isfinite(s90):
        raise SystemExit("the best reads of the calibration set are not 90 % right")
    knots = []
    for a, b, m in blocks:
        right = int(round(m * (b - a)))
        centre = float(np.mean(s[a:b]))
        if centre < s90:
            knots.append((centre, min(m, 0.85)))
        else:
            knots.append((centre, max(0.9, wilson(right, b - a))))
    knots.append((s90, 0.9))
    knots.append((s90 - 1e-3, min(0.85, max([k[1] for k in knots if k[0] < s90], default=0.0))))
    knots.sort()
    # monotone, strictly increasing scores (later knots at the same score win)
    out = []
    for sc, c in knots:
        c = max(c, out[-1][1]) if out else c
        if out and sc <= out[-1][0] + 1e-6:
            out[-1] = (out[-1][0], max(out[-1][1], c))
        else:
            out.append((sc, c))
    # thin the table: keep knots where the confidence changes
    thin = [out[0]]
    for k in out[1:]:
        if k[1] != thin[-1][1] or k is out[-1]:
            thin.append(k)
    return w, s90, [[round(a, 5), round(b, 5)] for a, b in thin], fitted


def apply(w, knots, r):
    x = features([r])[0]
    sc = float(x @ w)
    if sc <= knots[0][0]:
        return knots[0][1]
    for (a, ca), (b, cb) in zip(knots, knots[1:]):
        if sc <= b:
            return ca + (cb - ca) * (sc - a) / (b - a)
    return knots[-1][1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="model file with a reader (version 2 or 3)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--set", nargs=2, action="append", metavar=("LABELS", "JSONL"), required=True)
    a = ap.parse_args()
    reads = []
    for labels, results in a.set:
        reads += load(labels, results)
    w, s90, knots, fitted = fit(reads)
    command = "calibrate_reader.py " + " ".join(
        ["--base", os.path.basename(a.base)] + sum([["--set", os.path.relpath(l, os.getcwd()), os.path.relpath(j, os.getcwd())] for l, j in a.set], []))
    calibration = {
        "score": {"log_probability": round(float(w[0]), 6), "log_minimum": round(float(w[1]), 6),
                  "skipped": round(float(w[2]), 6), "bias": round(float(w[3]), 6)},
        "knots": knots,
        "command": command,
    }
    M.write_calibrated(a.base, a.out, calibration)
    w = np.array([calibration["score"][k] for k in ("log_probability", "log_minimum", "skipped", "bias")])
    conf = [apply(w, knots, r) for r in fitted]
    high = [r for r, c in zip(fitted, conf) if c >= 0.9]
    print(json.dumps(calibration, indent=1))
    print(f"reads {len(reads)}, fitted (uncapped) {len(fitted)}, right {sum(r['right'] for r in fitted)}; "
          f"0.9 at score {s90:.3f}; on the calibration set {len(high)} reads >= 0.9, {sum(not r['right'] for r in high)} wrong",
          file=sys.stderr)


if __name__ == "__main__":
    main()
