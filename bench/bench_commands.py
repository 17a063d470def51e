#!/usr/bin/python3
"""bench_commands.py - the analysis commands as a user runs them (whole
processes, wall time, medians of --repeat runs) against a floor and against
numpy/scipy doing the same work in the same run.

    /usr/bin/python3 bench/bench_commands.py --gradtap build/gradtap \
        [--sizes 24,26] [--repeat 5] [--threads 2] [--out results.csv]

Snapshots of 2^s float32 values (Gaussian, 1% exact zeros) are made in a
temporary folder with `gradtap import`. Per size it times `info`, `import`
(against a plain write() + fsync of the same bytes from Python), `bounds`
(default outputs: predictions and selectors included), `fit` and `curve`.

The floor is reading the snapshot's values through h5py into numpy and
summing their squares, in this process (no interpreter start, no HDF5
library start): what any analysis of the file must at least do. It is
stricter than a second process would be, since gradtap's times include its
own process start and HDF5 open.

Baselines in the same run: numpy reading the same values and doing the work
(bounds: sort |u| descending, cumulative sum of squares, the ratios at the
default densities; curve: the same at 200 log-spaced k); scipy.stats
norm/laplace/t/gennorm .fit on a sample of the size gradtap fit uses
(min(d, 2^20) values). scipy's t.fit and gennorm.fit take ~40 s each on
2^20 values, so they run on --scipy-sample values (default 2^16) and their
time is scaled linearly to the full sample (their cost per iteration is
linear in n); norm and laplace run on the full sample.
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

DENSITIES = (0.001, 0.01, 0.1)
TARGETS = {  # command: (max x floor, min x faster than the baseline, sizes it applies to)
    "bounds": (2.0, 20.0, (26,)),
    "curve": (2.0, None, (26,)),
    "fit": (None, 40.0, (24,)),
}
FIT_SECONDS = 1.0  # fit of four families on a 2^24 snapshot


def wall(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_values(log2d):
    rng = np.random.default_rng(log2d)
    x = rng.standard_normal(1 << log2d, dtype=np.float32) * np.float32(1e-3)
    x[rng.random(1 << log2d) < 0.01] = 0.0
    return x


def values_dataset(path):
    """The name of the largest dataset of the snapshot (its values)."""
    found = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.append((obj.size, name)) if isinstance(obj, h5py.Dataset) else None)
    return max(found)[1]


def read_values(path, name):
    with h5py.File(path, "r") as f:
        return f[name][...].astype(np.float32, copy=False).ravel()


def floor(path, name):
    x = read_values(path, name)
    return float(np.dot(x, x))


def numpy_ratios(path, name, ks):
    x = read_values(path, name)
    a = np.sort(np.abs(x))[::-1].astype(np.float64)
    c = np.cumsum(a * a)
    return 1.0 - c[np.asarray(ks) - 1] / c[-1]


def scipy_fit_seconds(sample, small):
    import scipy.stats as st
    t = 0.0
    for family in (st.norm, st.laplace):
        t0 = time.perf_counter()
        family.fit(sample)
        t += time.perf_counter() - t0
    sub = sample[:small]
    for family in (st.t, st.gennorm):
        t0 = time.perf_counter()
        family.fit(sub)
        t += (time.perf_counter() - t0) * len(sample) / len(sub)
    return t


def bench_size(args, log2d, folder):
    d = 1 << log2d
    x = make_values(log2d)
    npy = os.path.join(folder, "g%d.npy" % log2d)
    np.save(npy, x)
    snap = os.path.join(folder, "g%d.h5" % log2d)
    raw = os.path.join(folder, "raw%d.bin" % log2d)
    g, th = args.gradtap, ["--threads", str(args.threads)]
    rows = []

    def plain_write():
        with open(raw, "wb") as f:
            f.write(x.tobytes())
            f.flush()
            os.fsync(f.fileno())

    def fresh_import():
        if os.path.exists(snap):
            os.remove(snap)
        run([g, "import", "--step", "1", "-o", snap, npy])

    t_import = wall(fresh_import, args.repeat)
    rows.append(("import", log2d, t_import, wall(plain_write, args.repeat), None, "write()+fsync"))
    name = values_dataset(snap)
    floor_s = wall(lambda: floor(snap, name), args.repeat)
    rows.append(("info", log2d, wall(lambda: run([g, "info", snap]), args.repeat), floor_s, None, ""))
    ks = [max(1, int(r * d)) for r in DENSITIES]
    numpy_bounds = wall(lambda: numpy_ratios(snap, name, ks), max(1, args.repeat // 2))
    t = wall(lambda: run([g, "bounds", "-f", "csv"] + th + [snap]), args.repeat)
    rows.append(("bounds", log2d, t, floor_s, numpy_bounds, "numpy sort+cumsum"))
    curve_ks = sorted({max(1, min(d, int(round(d ** (j / 199.0))))) for j in range(200)})
    numpy_curve = wall(lambda: numpy_ratios(snap, name, curve_ks), max(1, args.repeat // 2))
    t = wall(lambda: run([g, "curve", "-f", "csv"] + th + [snap]), args.repeat)
    rows.append(("curve", log2d, t, floor_s, numpy_curve, "numpy sort+cumsum"))
    t = wall(lambda: run([g, "fit", "-f", "csv"] + th + [snap]), args.repeat)
    m = min(d, 1 << 20)
    rng = np.random.default_rng(0)
    sample = x[rng.choice(d, m, replace=False)] if d > m else x
    sample = sample[sample != 0].astype(np.float64)
    rows.append(("fit", log2d, t, floor_s, scipy_fit_seconds(sample, args.scipy_sample),
                 "scipy .fit x4 (t, gennorm on %d, scaled)" % args.scipy_sample))
    for path in (npy, raw):
        os.remove(path)
    return rows


def verdict(command, log2d, t, floor_s, baseline):
    if command not in TARGETS or log2d not in TARGETS[command][2]:
        return ""
    most, least, _ = TARGETS[command]
    ok, said = True, []
    if most is not None:
        ok &= t <= most * floor_s
        said.append("<=%gx floor" % most)
    if least is not None and baseline:
        ok &= baseline / t >= least
        said.append(">=%gx baseline" % least)
    if command == "fit":
        ok &= t <= FIT_SECONDS
        said.append("<=%gs" % FIT_SECONDS)
    return "%s %s" % (" ".join(said), "met" if ok else "NOT met")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gradtap", required=True)
    p.add_argument("--sizes", default="24,26")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--scipy-sample", type=int, default=1 << 16)
    p.add_argument("--out")
    args = p.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_commands.") as folder:
        for log2d in (int(s) for s in args.sizes.split(",")):
            rows += bench_size(args, log2d, folder)
    header = ("command", "log2d", "gradtap_s", "floor_s", "x_floor", "baseline_s", "x_faster", "baseline", "target")
    table = []
    for command, log2d, t, floor_s, baseline, what in rows:
        table.append((command, log2d, "%.3f" % t, "%.3f" % floor_s, "%.2f" % (t / floor_s),
                      "%.3f" % baseline if baseline else "", "%.1f" % (baseline / t) if baseline else "", what,
                      verdict(command, log2d, t, floor_s, baseline)))
    print("# bench_commands: %s, %d threads, medians of %d runs (floor for import: write()+fsync)"
          % (args.gradtap, args.threads, args.repeat))
    widths = [max(len(str(r[i])) for r in [header] + table) for i in range(len(header))]
    for r in [header] + table:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)))
    if args.out:
        with open(args.out, "w", newline="") as f:
            csv.writer(f).writerows([header] + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
