"""`gradtap bounds` on a capture with summaries every step and snapshots
every 10 steps: a row for every step, summary ratios equal to numpy's
sort-based r_k of the very vectors recorded, snapshot and summary rows of
one step in agreement, --check over summary rows, summaries-only files."""
import csv
import io
import os
import subprocess

import h5py
import numpy as np
import pytest
import torch

import gradtap

CLI = os.environ.get("GRADTAP_CLI", "gradtap")
SEED = 20261202
STEPS = 30
DENSITIES = (0.001, 0.01, 0.1, 0.3)


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)


def vectors(rng, step):
    """The recorded vectors of one step: a heavy-tailed layer with exact
    zeros (as ReLU networks give) and one of equal magnitudes, for which
    r_k = 1 - k/d > (1 - k/d)^2: the tight bound fails there."""
    heavy = (rng.standard_t(3, size=5000) * 1e-3).astype(np.float32)
    heavy[rng.random(5000) < 0.15] = 0.0
    flat = np.where(rng.random(777) < 0.5, -1.0, 1.0).astype(np.float32) * np.float32(step + 1)
    return {"layer.heavy": heavy, "layer.flat": flat}


def write_run(path, every, seed=SEED, global_summary=False):
    """Record vectors() for STEPS steps: {(name, step): vector}."""
    print(f"seed {seed}")
    rng = np.random.default_rng(seed)
    recorded = {}
    cap = gradtap.Capture(str(path), every=every, summary_every=1, kinds=("grad",), densities=DENSITIES,
                          global_summary=global_summary)
    for step in range(STEPS):
        parts = vectors(rng, step)
        for name, x in parts.items():
            if step == 0:  # all before the first record, as gradtap.watch does
                cap.register(name, torch.from_numpy(x))
        for name, x in parts.items():
            assert cap.record(name, torch.from_numpy(x), step)
            recorded[(name, step)] = x.copy()
    final = cap.close()
    assert cap.stats() == final and final["summaries_written"] >= STEPS  # the counts outlive the handle
    return recorded


def whole_model(recorded):
    """The concatenation of each step's vectors, in record order."""
    steps = sorted({step for _, step in recorded})
    return {s: np.concatenate([x for (_, step), x in recorded.items() if step == s]) for s in steps}


def reference_ratio(x, k):
    sq = np.sort(np.abs(x.astype(np.longdouble))) ** 2
    return float(sq[: len(x) - k].sum() / sq.sum())


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    path = tmp_path_factory.mktemp("summaries") / "run.h5"
    return write_run(path, every=10), path


def bounds_rows(*args):
    r = run("bounds", "--no-selectors", "--format", "csv", *map(str, args))
    assert r.returncode == 0, r.stderr
    return list(csv.DictReader(io.StringIO(r.stdout)))


def test_a_row_for_every_step_equal_to_numpy(both):
    recorded, path = both
    rows = bounds_rows(path)
    summary = [r for r in rows if r["source"] == "summary"]
    snapshot = [r for r in rows if r["source"] == "snapshot"]
    assert {int(r["step"]) for r in summary} == set(range(STEPS))
    assert {int(r["step"]) for r in snapshot} == {0, 10, 20}
    assert len(summary) == 2 * STEPS * len(DENSITIES)
    # snapshot rows first
    assert [r["source"] for r in rows] == ["snapshot"] * len(snapshot) + ["summary"] * len(summary)
    for r in summary:
        x = recorded[(r["tensor"], int(r["step"]))]
        k = int(r["k"])
        assert int(r["d"]) == x.size
        assert k == max(1, int(np.floor(float(r["density"]) * x.size)))
        assert float(r["ratio"]) == pytest.approx(reference_ratio(x, k), rel=1e-12, abs=1e-15)
        assert float(r["bound_tight"]) == pytest.approx((1 - k / x.size) ** 2, rel=1e-15)
        assert float(r["delta_emp"]) == pytest.approx(1 - float(r["ratio"]), abs=1e-15)
        assert r["holds_tight"] == ("1" if float(r["ratio"]) <= float(r["bound_tight"]) else "0")
        assert r["threshold"] == "nan" and r["r_pred_laplace"] == "nan"


def test_snapshot_and_summary_of_one_step_agree(both):
    _, path = both
    rows = bounds_rows("--density", ",".join(map(str, DENSITIES)), path)
    by_key = {}
    for r in rows:
        by_key.setdefault((r["tensor"], r["step"], r["k"]), {})[r["source"]] = r
    pairs = [v for v in by_key.values() if len(v) == 2]
    assert len(pairs) == 3 * 2 * len(DENSITIES)
    for pair in pairs:
        for column in ("ratio", "norm2", "slack_tight", "gain"):
            assert float(pair["summary"][column]) == pytest.approx(float(pair["snapshot"][column]), rel=1e-12)
        assert float(pair["summary"]["r_pred_gauss"]) == pytest.approx(float(pair["snapshot"]["r_pred_gauss"]), rel=1e-9)


def test_density_filter_and_results_file(both, tmp_path):
    _, path = both
    rows = bounds_rows("--density", "0.1,0.5", "--tensor", "layer.heavy", path)
    assert {r["density"] for r in rows if r["source"] == "summary"} == {"0.10000000000000001"}
    out = tmp_path / "b.h5"
    r = run("bounds", "--no-selectors", "-o", str(out), str(path))
    assert r.returncode == 0, r.stderr
    with h5py.File(out, "r") as f:
        sources = [s.decode() for s in f["bounds"]["source"][:]]
        assert sources.count("summary") == 2 * STEPS * len(DENSITIES)
        table = f["bounds_summary"]
        assert [s.decode() for s in table["source"][:]] == ["snapshot"] * 3 + ["summary"] * len(DENSITIES)
        assert list(table["vectors"][:]) == [6, 6, 6] + [2 * STEPS] * len(DENSITIES)


def test_check_covers_summary_rows(both):
    _, path = both
    # step 3 has only a summary; the equal-magnitude layer fails the tight bound there
    r = run("bounds", "--no-selectors", "--check", "tight", "--tensor", "layer.flat", "--steps", "3:3", str(path))
    assert r.returncode == 1, r.stderr
    assert "(summary)" in r.stderr and "tight bound" in r.stderr
    r = run("bounds", "--no-selectors", "--check", "loose", "--steps", "3:3", str(path))
    assert r.returncode == 0, r.stderr


def test_summaries_only_file(tmp_path):
    path = tmp_path / "summaries_only.h5"
    write_run(path, every=0)
    rows = bounds_rows(path)
    assert rows and all(r["source"] == "summary" for r in rows)
    r = run("bounds", "--no-summaries", str(path))
    assert r.returncode == 2 and "no snapshot" in r.stderr
    r = run("bounds", "--steps", "100:200", str(path))
    assert r.returncode == 2 and "no snapshot or summary" in r.stderr, r.stderr


def test_whole_model_summaries_equal_bounds_global(tmp_path):
    """global_summary=True: the tensor "(global)" holds, per summary step,
    the summary of all tensors of the step as one vector; its rows equal
    numpy's r_k of the concatenation and, at snapshot steps, `bounds
    --global` on the snapshots."""
    path = tmp_path / "whole.h5"
    whole = whole_model(write_run(path, every=10, seed=SEED + 1, global_summary=True))
    r = run("info", "--format", "csv", str(path))
    numel = {row["tensor"]: int(row["numel"]) for row in csv.DictReader(io.StringIO(r.stdout))}
    # declared with the first record: the numel of the tensors registered before it
    assert numel["(global)"] == numel["layer.heavy"] + numel["layer.flat"]
    rows = [r for r in bounds_rows(path) if r["tensor"] == "(global)"]
    assert {int(r["step"]) for r in rows} == set(range(STEPS)) and len(rows) == STEPS * len(DENSITIES)
    for r in rows:
        x = whole[int(r["step"])]
        assert r["source"] == "summary" and int(r["d"]) == x.size
        assert float(r["ratio"]) == pytest.approx(reference_ratio(x, int(r["k"])), rel=1e-12)
    global_rows = bounds_rows("--global", path)
    snapshots = {(r["step"], r["k"]): r for r in global_rows if r["source"] == "snapshot"}
    summaries = {(r["step"], r["k"]): r for r in global_rows if r["source"] == "summary"}
    assert {s for s, _ in snapshots} == {"0", "10", "20"} and len(summaries) == STEPS * len(DENSITIES)
    for key, snap in snapshots.items():
        assert summaries[key]["tensor"] == snap["tensor"] == "(global)"
        assert float(summaries[key]["ratio"]) == pytest.approx(float(snap["ratio"]), rel=1e-12)
        assert summaries[key]["d"] == snap["d"]
    # a --tensor subset is not the whole model
    subset = bounds_rows("--global", "--tensor", "layer.heavy", path)
    assert all(r["source"] == "snapshot" for r in subset)


def test_every_step_figure_from_a_summaries_only_file(tmp_path):
    """No snapshot at all: bounds gives the rows and the every-step figure
    draws them, the whole model first, with no text overlapping."""
    import sys
    sys.path.insert(0, os.path.join(os.environ.get("GRADTAP_SOURCE_DIR", "."), "notebooks"))
    import gradtap_plots as gp
    path = tmp_path / "only.h5"
    write_run(path, every=0, seed=SEED + 2, global_summary=True)
    r = run("bounds", "--no-selectors", "--format", "csv", str(path))
    assert r.returncode == 0, r.stderr
    csv_path = tmp_path / "bounds.csv"
    csv_path.write_text(r.stdout)
    tables = gp.load_runs([str(csv_path)])
    fig = gp.figure_steps(tables, kind="grad")
    assert gp.layout_problems(fig) == []
    labels = [t.get_text() for ax in fig.axes for t in [ax.yaxis.label] if t.get_text()]
    assert labels and labels[0] == "whole model", labels
    lines = [line for ax in fig.axes for line in ax.get_lines() if len(line.get_xdata()) == STEPS]
    assert lines, "no line over every step"
