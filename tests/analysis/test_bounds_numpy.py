"""gradtap bounds / curve on one file, checked against numpy.

The vector is written with numpy, turned into a snapshot file by
`gradtap import`, analysed by `gradtap bounds --format csv` and `-o
results.h5`; every tail energy, ratio and bound is recomputed here by a
full sort in numpy (float64 sums of float32 squares, longdouble for the
reference)."""
import csv
import io
import os
import subprocess

import h5py
import numpy as np
import pytest

CLI = os.environ.get("GRADTAP_CLI", "gradtap")
SEED = 20240611


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    print(f"seed {SEED}")
    rng = np.random.default_rng(SEED)
    d = 50_000
    x = (rng.standard_t(4, size=d) * 1e-3).astype(np.float32)
    x[::97] = 0.0                      # exact zeros
    x[5] = -x[6]                       # a tie in magnitude
    folder = tmp_path_factory.mktemp("bounds")
    npy = folder / "grad_step_3.npy"
    np.save(npy, x)
    snap = folder / "snap.h5"
    r = run("import", "-o", str(snap), "-t", "model.weight", str(npy))
    assert r.returncode == 0, r.stderr
    return x, snap, folder


def reference(x, k):
    sq = np.sort(np.abs(x.astype(np.longdouble))) ** 2   # ascending
    tail = sq[: len(x) - k].sum()
    norm = sq.sum()
    return float(tail), float(norm)


def test_csv_against_numpy(snapshot):
    x, snap, folder = snapshot
    ks = [1, 10, 500, 4999, 50_000]
    r = run("bounds", "--k", ",".join(map(str, ks)), "--no-selectors", "--format", "csv", str(snap))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    header = r.stdout.splitlines()[0].split(",")
    assert header[:11] == ["rank", "step", "tensor", "kind", "d", "k", "norm2", "tail2", "ratio",
                           "bound_loose", "bound_tight"]
    assert len(rows) == len(ks)
    d = len(x)
    for row, k in zip(rows, ks):
        tail, norm = reference(x, k)
        assert row["tensor"] == "model.weight" and row["kind"] == "grad" and int(row["step"]) == 3
        assert int(row["d"]) == d and int(row["k"]) == k
        assert float(row["norm2"]) == pytest.approx(norm, rel=1e-12)
        assert float(row["tail2"]) == pytest.approx(tail, rel=1e-12, abs=1e-300)
        assert float(row["ratio"]) == pytest.approx(tail / norm, rel=1e-12, abs=1e-15)
        assert float(row["bound_loose"]) == pytest.approx(1 - k / d, rel=1e-15)
        assert float(row["bound_tight"]) == pytest.approx((1 - k / d) ** 2, rel=1e-15)
        assert float(row["delta_emp"]) == pytest.approx(1 - tail / norm, rel=1e-10, abs=1e-15)
        assert row["holds_loose"] == "1"
        thr = np.sort(np.abs(x))[::-1][k - 1]
        assert float(row["threshold"]) == float(thr)


def test_results_file_matches_csv(snapshot):
    x, snap, folder = snapshot
    out = folder / "results.h5"
    r = run("bounds", "--no-selectors", "--format", "csv", "-o", str(out), str(snap))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    with h5py.File(out, "r") as f:
        assert f.attrs["format"] == "gradtap-results"
        columns = f["bounds"].attrs["columns"].split(",")
        assert columns[:11] == ["rank", "step", "tensor", "kind", "d", "k", "norm2", "tail2", "ratio",
                                "bound_loose", "bound_tight"]
        ratio = f["bounds/ratio"][:]
        assert np.array_equal(ratio, [float(r["ratio"]) for r in rows])
        assert [t.decode() if isinstance(t, bytes) else t for t in f["bounds/tensor"][:]] == ["model.weight"] * 3
        summary = f["bounds_summary"]
        assert list(summary["density"][:]) == [0.001, 0.01, 0.1]
        assert list(summary["vectors"][:]) == [1, 1, 1]


def test_curve_against_numpy(snapshot):
    x, snap, folder = snapshot
    r = run("curve", "--points", "30", "--format", "csv", str(snap))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert 20 <= len(rows) <= 30
    for row in rows:
        tail, norm = reference(x, int(row["k"]))
        assert float(row["ratio"]) == pytest.approx(tail / norm, rel=1e-12, abs=1e-15)


def test_fit_moments_against_numpy(snapshot):
    x, snap, folder = snapshot
    r = run("fit", "--format", "csv", str(snap))
    assert r.returncode == 0, r.stderr
    row = next(csv.DictReader(io.StringIO(r.stdout)))
    v = x.astype(np.float64)
    m = v.mean()
    c = v - m
    assert float(row["mean"]) == pytest.approx(m, rel=1e-9, abs=1e-15)
    assert float(row["std"]) == pytest.approx(v.std(), rel=1e-10)
    assert float(row["skewness"]) == pytest.approx((c**3).mean() / v.std() ** 3, rel=1e-7, abs=1e-9)
    assert float(row["excess_kurtosis"]) == pytest.approx((c**4).mean() / v.var() ** 2 - 3, rel=1e-8)
    assert float(row["zero_fraction"]) == pytest.approx(np.mean(x == 0), rel=1e-12)
    assert float(row["min"]) == float(x.min()) and float(row["max"]) == float(x.max())
    assert row["best"] in ("student", "gennorm")
