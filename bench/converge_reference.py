#!/usr/bin/env python3
"""converge_reference.py - a small numpy reference of the `gradtap converge`
performance run (issue 5), timed in the same session as gradtap itself.

Logistic regression on synthetic epsilon-like data (a_i ~ N(0, I/d), labels
from a hidden model of scale 3), n = 100000, d = 2000 dense, 3 epochs of
single-sample SGD with top-k memory in the Stich form (docs/THEORY.md s.5, s.8):
    p = m + eta_t g,  keep the k largest |p_i| (np.argpartition),
    x -= C(p),  m = p - C(p),  eta_t = gamma / (lambda (t + a)),
    xbar weighted with w_t = (t + a)^2,
with lambda = 1/n, gamma = 2, a = d/k, rho = 0.001 (k = 2).
This is how one would write it in numpy ("numpy-style code"); it is the
baseline the C trainer is compared with in docs/PERFORMANCE.md.

usage: converge_reference.py [--n N] [--d D] [--epochs E] [--gradtap PATH]
With --gradtap it also times `PATH converge` on the same problem
(--methods topk --points 1) and prints both.
"""
import argparse
import subprocess
import sys
import time

import numpy as np


def make_data(n, d, seed):
    rng = np.random.default_rng(seed)
    truth = rng.standard_normal(d) * 3.0
    features = rng.standard_normal((n, d), dtype=np.float32)
    features *= np.float32(1.0 / np.sqrt(d))
    margin = features @ truth.astype(np.float32)
    labels = np.where(rng.random(n) < 1.0 / (1.0 + np.exp(-margin)), 1.0, -1.0).astype(np.float32)
    return features, labels


def objective(features, labels, x, lam):
    margin = labels * (features @ x)
    return float(np.mean(np.logaddexp(0.0, -margin)) + 0.5 * lam * np.dot(x, x))


def train_topk_memory(features, labels, epochs, rho, gamma, seed):
    n, d = features.shape
    lam = 1.0 / n
    k = max(1, int(rho * d))
    shift = d / k
    steps = int(np.ceil(epochs * n))
    rng = np.random.default_rng(seed + 1)
    rows = rng.integers(0, n, size=steps)
    x = np.zeros(d, dtype=np.float32)
    memory = np.zeros(d, dtype=np.float32)
    average = np.zeros(d, dtype=np.float64)
    weight_sum = 0.0
    for t in range(steps):
        w = (t + shift) ** 2
        weight_sum += w
        average += (w / weight_sum) * (x - average)
        a = features[rows[t]]
        b = labels[rows[t]]
        coef = -b / (1.0 + np.exp(b * float(a @ x)))
        grad = coef * a + lam * x
        eta = gamma / (lam * (t + shift))
        p = memory + np.float32(eta) * grad
        kept = np.argpartition(np.abs(p), d - k)[d - k:]
        x[kept] -= p[kept]
        p[kept] = 0.0
        memory = p
    return x, average.astype(np.float32), steps, k


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100000)
    parser.add_argument("--d", type=int, default=2000)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gradtap", help="path of the gradtap command to time on the same problem")
    args = parser.parse_args()

    start = time.perf_counter()
    features, labels = make_data(args.n, args.d, args.seed)
    t_data = time.perf_counter() - start
    start = time.perf_counter()
    x, average, steps, k = train_topk_memory(features, labels, args.epochs, 0.001, 2.0, args.seed)
    t_train = time.perf_counter() - start
    lam = 1.0 / args.n
    print(f"numpy reference: n={args.n} d={args.d} topk k={k} with memory, {args.epochs:g} epochs = {steps} steps")
    print(f"  data generation {t_data:8.3f} s")
    print(f"  training        {t_train:8.3f} s ({steps / t_train:.0f} steps/s)")
    print(f"  f(x_T) = {objective(features, labels, x, lam):.6f}, f(xbar_T) = {objective(features, labels, average, lam):.6f}"
          " (f* not computed here)")
    if args.gradtap:
        command = [args.gradtap, "converge", "--n", str(args.n), "--d", str(args.d), "--epochs", str(args.epochs),
                   "--methods", "topk", "--points", "1", "--seed", str(args.seed)]
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        sys.stdout.write(result.stdout)
        print(f"gradtap converge (data, f*, training, 2x2 evaluations): {elapsed:.3f} s wall, exit {result.returncode}")
        return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
