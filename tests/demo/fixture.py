"""fixture.py - a small, fully synthetic demo directory for the plotting tests.

Writes what `gradtap demo` writes (gradtap_plots.DEMO_LAYOUT) from numpy
alone: snapshot files in the documented format (docs/FORMAT.md) and CSV
tables with the documented column names, where every ratio is computed here
by brute force (sort), independently of gradtap. The plotting tests draw
figures from it without needing the C side.
"""

import csv
import os
import sys

import numpy as np

# The plotting package under test: notebooks/ of this source tree.
SOURCE = os.environ.get("GRADTAP_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
NOTEBOOKS = os.path.join(SOURCE, "notebooks")
if NOTEBOOKS not in sys.path:
    sys.path.insert(0, NOTEBOOKS)

METHODS = ("topk", "gaussiank", "randk")
TENSORS = (("fc1.weight", 6000), ("fc2.weight", 1200), ("fc3.weight", 1000), ("fc2.bias", 40))
STEPS = (0, 10, 20, 30)
DENSITIES = (0.001, 0.01, 0.1)


def k_of(rho, d):
    """k = max(1, floor(rho d)) (docs/THEORY.md s.1)."""
    return max(1, int(np.floor(rho * d)))


def tail_ratio(u, k):
    """r_k by sorting: the d-k smallest squares over all squares."""
    squares = np.sort(u.astype(np.float64) ** 2)
    return squares[: u.size - k].sum() / squares.sum()


def vector(rng, d, step):
    """Laplace-like with a Gaussian part, heavier tails later in the run."""
    return (rng.laplace(0, 1e-3, d) * (1 + step / 30) + rng.normal(0, 5e-4, d)).astype(np.float32)


def write_snapshots(path, vectors):
    """vectors: {(tensor, kind): {step: array}} -> a format-1 snapshot file."""
    import h5py

    with h5py.File(path, "w") as f:
        f.attrs["format"] = "gradtap-snapshots"
        f.attrs["format_version"] = np.int64(1)
        f.attrs["rank"] = np.int64(0)
        f.attrs["world_size"] = np.int64(1)
        f.attrs["complete"] = np.int64(1)
        f.create_group("meta")
        tensors = f.create_group("tensors")
        for (tensor, kind), by_step in vectors.items():
            group = tensors.require_group(tensor.replace("/", "%2F"))
            steps = sorted(by_step)
            group.attrs["name"] = tensor
            group.attrs["numel"] = np.int64(by_step[steps[0]].size)
            group.attrs["dtype"] = "float32"
            kg = group.create_group(kind)
            kg.create_dataset("data", data=np.stack([by_step[s] for s in steps]))
            kg.create_dataset("steps", data=np.array(steps, dtype=np.int64))


def log2_histogram(u, min_exponent=-64, bins=82):
    """The summary histogram of docs/FORMAT.md by frexp: |u| = m 2^e with
    m in [0.5, 1) lies in [2^(e-1), 2^e), bin e - E (clamped to 0 and 81)."""
    values = np.abs(u[np.isfinite(u) & (u != 0)].astype(np.float64))
    _, exponent = np.frexp(values)
    return np.bincount(np.clip(exponent - min_exponent, 0, bins - 1), minlength=bins).astype(np.int64)


def write_summary_file(path, tensors=(("layer.0.weight", 3000), ("layer.0.bias", 300)), steps=range(12),
                       snapshot_every=4, densities=(0.01, 0.1), seed=3):
    """A format-1 snapshot file with a `summary` group (docs/FORMAT.md, "What
    capture adds") for kind acc at every step and snapshots every
    `snapshot_every` steps, all computed here with numpy (ratios by sort).
    Returns {(tensor, step): vector}."""
    import h5py

    rng = np.random.default_rng(seed)
    vectors = {(t, s): vector(rng, d, s) for t, d in tensors for s in steps}
    write_snapshots(path, {(t, "acc"): {s: vectors[(t, s)] for s in steps if s % snapshot_every == 0}
                           for t, _ in tensors})
    with h5py.File(path, "r+") as f:
        for tensor, d in tensors:
            group = f["tensors"][tensor]["acc"].create_group("summary")
            rows = [vectors[(tensor, s)].astype(np.float64) for s in steps]
            group["steps"] = np.array(list(steps), dtype=np.int64)
            group["moments"] = np.array([[u.mean(), u.var(), 0.0, 0.0, u.min(), u.max(), (u * u).sum(),
                                          np.abs(u).sum()] for u in rows])
            group["counts"] = np.array([[u.size, u.size, (u == 0).sum(), 0, 0, 0] for u in rows], dtype=np.int64)
            group["hist"] = np.array([log2_histogram(u) for u in rows])
            group["ratios"] = np.array([[tail_ratio(u, k_of(rho, d)) for rho in densities] for u in rows])
            group.attrs["densities"] = np.array(densities, dtype=np.float64)
            group.attrs["k"] = np.array([k_of(rho, d) for rho in densities], dtype=np.int64)
            group.attrs["hist_min_exponent"] = np.int64(-64)
            group.attrs["moment_columns"] = "mean,variance,skewness,excess_kurtosis,min,max,norm2,abs_sum"
            group.attrs["count_columns"] = "count,finite,zeros,nan,posinf,neginf"
    return vectors


def write_csv(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def make_demo_dir(root, seed=7):
    """Create root/{data,results} like the demo; returns the expected
    r_k per (method, tensor, step, density) for checks."""
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(root, "data"), exist_ok=True)
    os.makedirs(os.path.join(root, "results"), exist_ok=True)
    expected = {}
    bounds_header = ["rank", "step", "tensor", "kind", "d", "k", "density", "norm2", "tail2", "ratio",
                     "bound_loose", "bound_tight", "holds_loose", "holds_tight", "status", "file"]
    curve_header = ["rank", "step", "tensor", "kind", "d", "k", "density", "ratio", "bound_loose", "bound_tight",
                    "status", "file"]
    fit_header = ["rank", "step", "tensor", "kind", "d", "count", "mean", "std", "best", "gauss_loc", "gauss_scale",
                  "laplace_loc", "laplace_scale", "file"]
    bounds, curve, fit = [], [], []
    for method in METHODS:
        vectors = {}
        path = os.path.join("data", "run.%s.h5" % method)
        for tensor, d in TENSORS:
            for step in STEPS:
                u = vector(rng, d, step)
                vectors.setdefault((tensor, "acc"), {})[step] = u
                u64 = u.astype(np.float64)
                norm2 = float((u64 ** 2).sum())
                for rho in DENSITIES:
                    k = k_of(rho, d)
                    ratio = tail_ratio(u, k)
                    expected[(method, tensor, step, rho)] = ratio
                    bounds.append([0, step, tensor, "acc", d, k, k / d, norm2, ratio * norm2, ratio, 1 - k / d,
                                   (1 - k / d) ** 2, int(ratio <= 1 - k / d), int(ratio <= (1 - k / d) ** 2), "ok",
                                   path])
                for k in sorted({k_of(r, d) for r in np.logspace(np.log10(1 / d), 0, 60)}):
                    curve.append([0, step, tensor, "acc", d, k, k / d, tail_ratio(u, k), 1 - k / d,
                                  (1 - k / d) ** 2, "ok", path])
                median = float(np.median(u64))
                fit.append([0, step, tensor, "acc", d, d, u64.mean(), u64.std(), "laplace", u64.mean(), u64.std(),
                            median, float(np.mean(np.abs(u64 - median))), path])
        write_snapshots(os.path.join(root, path), vectors)
    write_csv(os.path.join(root, "results", "bounds.csv"), bounds_header, bounds)
    write_csv(os.path.join(root, "results", "curve.csv"), curve_header, curve)
    write_csv(os.path.join(root, "results", "fit.csv"), fit_header, fit)
    converge = []
    for i, method in enumerate(("dense",) + METHODS):
        bits_per_step = 32 * 7000 if method == "dense" else 64 * 70
        for step in range(0, 201, 20):
            epoch = step / 100
            loss = 2.3 * np.exp(-step / (60 + 10 * i)) + 0.3
            converge.append([method, step, epoch, bits_per_step * step, loss, 0.1 + 0.7 * (1 - np.exp(-step / 50))])
    write_csv(os.path.join(root, "results", "converge.csv"),
              ["method", "step", "epoch", "bits", "loss", "test_accuracy"], converge)
    speed = []
    for selector, per_element in (("topk", 4e-9), ("gaussiank", 2e-9), ("randk", 5e-10), ("dgck", 1.5e-9)):
        for exponent in range(12, 21, 2):
            d = 2 ** exponent
            for rho in (0.001, 0.01):
                speed.append([selector, d, rho, k_of(rho, d), per_element * d + 2e-6, 1e-10 * d])
    write_csv(os.path.join(root, "results", "speed.csv"), ["selector", "d", "density", "k", "seconds",
                                                           "floor_seconds"], speed)
    return expected
