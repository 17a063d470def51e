"""test_demo.py - `gradtap demo --quick` end to end, then every notebook
executed headless on its output.

Checks: exit codes (0; 2 for bad options and a foreign --out directory; 3
with the failing step named when a step fails), the verdict lines against
numbers recomputed here from the result tables, the result files (CSV
columns, HDF5 signatures, snapshot files per method and rank), the demo's
figures, and the figures each notebook writes (valid PNG and PDF)."""

import csv
import glob
import os
import re
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("GRADTAP_SOURCE_DIR", os.path.join(HERE, "..", ".."))
NOTEBOOKS = os.path.join(SOURCE, "notebooks")
CLI = os.environ.get("GRADTAP_CLI", os.path.join(SOURCE, "build", "gradtap"))
sys.path.insert(0, HERE)

import figcheck  # noqa: E402

FIGURES = ("distribution", "bounds", "curve", "convergence", "speed")
METHODS = ("dense", "topk", "gaussiank", "randk")
# Which figure each notebook writes.
NOTEBOOK_FIGURES = {"00_instrument_pytorch.ipynb": "instrumented_bounds", "01_distribution.ipynb": "distribution", "02_bounds.ipynb": "bounds",
                    "03_curve.ipynb": "curve", "04_convergence.ipynb": "convergence", "05_speed.ipynb": "speed",
                    "06_every_step.ipynb": "every_step"}
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def run_cli(*args, env=None, timeout=240):
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("demo") / "out")
    started = time.monotonic()
    result = run_cli("demo", "--quick", "--out", out)
    seconds = time.monotonic() - started
    print("gradtap demo --quick: %.1f s\nstdout:\n%s\nstderr:\n%s" % (seconds, result.stdout, result.stderr))
    assert result.returncode == 0, "demo failed (exit %d):\n%s" % (result.returncode, result.stderr)
    return out, result.stdout, seconds


def test_quick_demo_reports_its_time(demo):
    """The demo's time is measured by bench/ (docs/PERFORMANCE.md), not
    asserted here: a loaded CI machine must not fail a correct demo. The
    demo's ctest TIMEOUT catches a hang."""
    _, stdout, seconds = demo
    print("gradtap demo --quick: %.1f s" % seconds)
    assert "verdict in" in stdout and " s)" in stdout


def test_header_says_which_data_and_workers(demo):
    _, stdout, _ = demo
    header = stdout.splitlines()[0]
    assert header.startswith("gradtap demo: MLP 784-200-200-10 on ")
    assert ("Fashion-MNIST" in header) or ("SYNTHETIC" in header)
    assert "4 workers (MPI ranks)" in header or "4 workers (simulated in one process)" in header
    fashion = os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
    assert ("Fashion-MNIST (Debian" in header) == fashion


def test_verdict_matches_the_result_tables(demo):
    out, stdout, _ = demo
    rows = [r for r in read_rows(os.path.join(out, "results", "bounds_global.csv"))
            if r["kind"] == "acc" and r["status"] == "ok"]
    assert rows, "no whole-model bounds rows"
    tight = sum(float(r["ratio"]) <= float(r["bound_tight"]) for r in rows)
    loose = sum(float(r["ratio"]) <= float(r["bound_loose"]) for r in rows)
    assert loose == len(rows), "a loose-bound violation is a gradtap bug"
    match = re.search(r"tight bound \(1-k/d\)\^2 held in (\d+) of (\d+)", stdout)
    assert match and (int(match.group(1)), int(match.group(2))) == (tight, len(rows)), stdout
    match = re.search(r"loose bound 1-k/d held in (\d+) of (\d+)", stdout)
    assert match and (int(match.group(1)), int(match.group(2))) == (loose, len(rows)), stdout
    # Best family: the most frequent `best` among the acc fits that pass the
    # KS test; `best` is "none" where no family does, and the verdict then
    # says "no family fits" instead of counting a best family.
    best = [r["best"] for r in read_rows(os.path.join(out, "results", "fit.csv")) if r["kind"] == "acc"]
    fitted = [b for b in best if b != "none"]
    if not fitted:
        assert "no family fits (KS test at 5%%) in any of %d snapshots" % len(best) in stdout, stdout
        assert "best-fitting family (" not in stdout, stdout
    else:
        top = max(set(fitted), key=fitted.count)
        match = re.search(r"best-fitting family \(.*\): (\w+) in (\d+) of (\d+)", stdout)
        assert match and match.group(1) == top and int(match.group(2)) == fitted.count(top) \
            and int(match.group(3)) == len(best), stdout
    # Accuracy per method from the converge table.
    summary = {r["method"]: float(r["test_accuracy"]) for r in read_rows(os.path.join(out, "results",
                                                                                      "converge_summary.csv"))}
    assert set(summary) == set(METHODS)
    assert "final test accuracy: dense %.1f%%" % (100 * summary["dense"]) in stdout
    for method, label in (("topk", "top-k"), ("gaussiank", "Gaussian-k"), ("randk", "random-k")):
        assert "%s %.1f%% (%+.1f points vs dense)" % (label, 100 * summary[method],
                                                       100 * (summary[method] - summary["dense"])) in stdout
    with open(os.path.join(out, "verdict.txt")) as handle:
        saved = handle.read()
    assert "tight bound (1-k/d)^2 held in %d of %d" % (tight, len(rows)) in saved


def test_result_files(demo):
    out, _, _ = demo
    required = {
        "bounds.csv": "rank,step,tensor,kind,d,k,norm2,tail2,ratio,bound_loose,bound_tight",
        "bounds_global.csv": "rank,step,tensor,kind,d,k,norm2,tail2,ratio,bound_loose,bound_tight",
        "fit.csv": "rank,step,tensor,kind,d,best",
        "curve.csv": "step,tensor,kind,d,k,ratio,bound_loose,bound_tight",
        "converge.csv": "method,epoch,bits,loss,test_accuracy",
        "converge_summary.csv": "method,test_accuracy",
        "speed.csv": "selector,d,density,k,seconds,floor_seconds",
    }
    for name, columns in required.items():
        rows = read_rows(os.path.join(out, "results", name))
        assert rows, "%s: no rows" % name
        missing = set(columns.split(",")) - set(rows[0])
        assert not missing, "%s lacks columns %s" % (name, sorted(missing))
    for name in ("bounds", "bounds_global", "fit", "curve", "converge"):
        with open(os.path.join(out, "results", name + ".h5"), "rb") as handle:
            assert handle.read(8) == HDF5_SIGNATURE, "%s.h5 is not an HDF5 file" % name
    ranks = 4 if "MPI ranks" in open(os.path.join(out, "verdict.txt")).readline() else 1
    for method in METHODS:
        files = glob.glob(os.path.join(out, "data", "run.%s*.h5" % method))
        assert len(files) in (1, 4), files
        assert ranks == 1 or len(files) == 4, files
    assert set(r["tensor"] for r in read_rows(os.path.join(out, "results", "bounds_global.csv"))) == {"(global)"}
    speed = read_rows(os.path.join(out, "results", "speed.csv"))
    assert {r["selector"] for r in speed} >= {"topk", "gaussiank", "randk"}
    assert all(float(r["seconds"]) > 0 for r in speed)


def test_demo_figures(demo):
    out, _, _ = demo
    for name in FIGURES:
        figcheck.check_figure(os.path.join(out, "figures", name))
    with open(os.path.join(out, "logs", "figures.log")) as handle:
        log = handle.read()
    assert "overlaps" not in log and "sticks out" not in log, "text overlaps or is cut off:\n" + log


def test_every_notebook_runs_headless(demo, tmp_path):
    import nbclient
    import nbformat

    out, _, _ = demo
    notebooks = sorted(glob.glob(os.path.join(NOTEBOOKS, "*.ipynb")))
    assert [os.path.basename(p) for p in notebooks] == sorted(NOTEBOOK_FIGURES)
    figures = str(tmp_path / "notebook-figures")
    os.environ["GRADTAP_DEMO_DIR"] = out
    os.environ["GRADTAP_FIGURE_DIR"] = figures
    os.environ["GRADTAP_RUN_DIR"] = str(tmp_path / "instrumented-run")  # notebook 00 trains its own run
    os.environ["GRADTAP_NOTEBOOK_QUICK"] = "1"
    try:
        for path in notebooks:
            book = nbformat.read(path, as_version=4)
            first = book.cells[0]
            assert first.cell_type == "code" and "DEMO_DIR" in first.source, "%s: parameters first" % path
            client = nbclient.NotebookClient(book, timeout=300, kernel_name="python3",
                                             resources={"metadata": {"path": NOTEBOOKS}})
            client.execute()
            outputs = "".join(o.get("text", "") for c in book.cells if c.cell_type == "code" for o in c.outputs)
            assert "layout: clean" in outputs, "%s: %s" % (path, outputs)
            figcheck.check_figure(os.path.join(figures, NOTEBOOK_FIGURES[os.path.basename(path)]))
    finally:
        for name in ("GRADTAP_DEMO_DIR", "GRADTAP_FIGURE_DIR", "GRADTAP_RUN_DIR", "GRADTAP_NOTEBOOK_QUICK"):
            del os.environ[name]


@pytest.mark.parametrize("args,message", [
    (["--workers", "0"], "--workers"),
    (["--data", "cifar"], "--data 'cifar'"),
    (["--mpi", "maybe"], "--mpi 'maybe'"),
    (["--density", "2"], "--density"),
    (["--bogus"], "unknown option '--bogus'"),
    (["extra.h5"], "unexpected argument 'extra.h5'"),
    (["--out"], "needs a value"),
    (["--mpi", "on", "--workers", "1"], "--mpi on needs --workers 2"),
])
def test_bad_options_exit_2(args, message, tmp_path):
    result = run_cli("demo", "--out", str(tmp_path / "never"), *args) if args != ["--out"] else run_cli("demo", *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and result.stderr.startswith("gradtap demo: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "never").exists()


def test_refuses_a_foreign_directory(tmp_path):
    (tmp_path / "thesis.tex").write_text("precious")
    result = run_cli("demo", "--quick", "--out", str(tmp_path))
    assert result.returncode == 2 and "not empty" in result.stderr
    assert sorted(os.listdir(tmp_path)) == ["thesis.tex"]


def test_a_failing_step_is_named_and_exits_3(tmp_path):
    # A damaged dataset makes the training step (`gradtap converge`) fail at once.
    data = tmp_path / "fashion"
    data.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        (data / name).write_bytes(b"not gzip at all")
    out = tmp_path / "out"
    result = run_cli("demo", "--quick", "--out", str(out), env={"GRADTAP_FASHION_MNIST": str(data)})
    assert result.returncode == 3, result.stderr
    assert "step 'train" in result.stderr and "failed" in result.stderr
    assert "gradtap converge: " in result.stderr  # converge's own message, from the step's log
    assert (out / "logs" / "train.log").exists()
    assert "verdict" not in result.stdout


def test_missing_dataset_when_asked_for_is_a_usage_error(tmp_path):
    result = run_cli("demo", "--data", "fashion-mnist", "--out", str(tmp_path / "out"),
                     env={"GRADTAP_FASHION_MNIST": str(tmp_path / "no-such-dir")})
    assert result.returncode == 2 and "no-such-dir" in result.stderr
    assert not (tmp_path / "out").exists()


def test_help_documents_every_option():
    result = run_cli("demo", "--help")
    assert result.returncode == 0
    for option in ("--out", "--quick", "--data", "--workers", "--mpi", "--density", "--every", "--seed",
                   "--no-figures", "exit codes"):
        assert option in result.stdout


def test_hdf5_results_give_the_same_tables_as_csv(demo, tmp_path):
    sys.path.insert(0, NOTEBOOKS)
    import numpy as np
    import gradtap_plots as gp

    out, _, _ = demo
    for name in ("bounds", "bounds_global", "fit", "curve"):
        from_csv = gp.read_table(os.path.join(out, "results", name + ".csv"))
        from_h5 = gp.read_table(os.path.join(out, "results", name + ".h5"))
        assert len(from_csv) == len(from_h5) > 0
        for column in ("ratio", "bound_tight", "gauss_scale", "tensor", "file"):
            if column in from_csv.columns:
                a, b = from_csv.columns[column], from_h5.columns[column]
                if a.dtype == object:
                    assert list(a) == list(b), (name, column)
                else:
                    np.testing.assert_allclose(a, b, rtol=1e-8, equal_nan=True, err_msg=name + ":" + column)
    # converge: the demo writes its curves both as CSV and as HDF5 (one run, `-o` twice)
    csv_table = gp.read_table(os.path.join(out, "results", "converge.csv"))
    h5_table = gp.read_table(os.path.join(out, "results", "converge.h5"))
    assert list(csv_table.columns["method"]) == list(h5_table.columns["method"])
    for column in ("epoch", "bits", "loss"):
        np.testing.assert_allclose(csv_table.columns[column], h5_table.columns[column], rtol=1e-8)
    figcheck.check_figure(gp.figure_convergence([("run", h5_table)], stem=str(tmp_path / "conv"))[0][:-4])


def test_an_earlier_demo_directory_is_reused(tmp_path):
    # An earlier demo's directory (marker file): its data/results/figures/logs
    # files are replaced, anything else in it is left alone. The damaged
    # dataset stops the run right after the directory was prepared.
    out = tmp_path / "out"
    for sub in ("data", "results", "figures", "logs"):
        (out / sub).mkdir(parents=True)
        (out / sub / "stale.txt").write_text("from an earlier run")
    (out / ".gradtap-demo").write_text("")
    (out / "notes.txt").write_text("mine")
    data = tmp_path / "fashion"
    data.mkdir()
    (data / "train-images-idx3-ubyte.gz").write_bytes(b"damaged")
    result = run_cli("demo", "--quick", "--out", str(out), env={"GRADTAP_FASHION_MNIST": str(data)})
    assert result.returncode == 3, result.stderr
    for sub in ("data", "results", "figures"):
        assert not (out / sub / "stale.txt").exists()
    assert (out / "notes.txt").read_text() == "mine"
