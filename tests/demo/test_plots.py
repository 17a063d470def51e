"""test_plots.py - notebooks/gradtap_plots.py (the package notebooks/gtplots/)
on a synthetic demo directory (fixture.py): the mathematics it uses
(gtplots.theory) against hand values, closed forms and brute force, the
commit rule of gtplots.readers on a crash-shaped snapshot file,
its CSV reading, what each figure draws against independently computed
values, clean layouts, and valid PDF/PNG files from its command line."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("GRADTAP_SOURCE_DIR", os.path.join(HERE, "..", ".."))
NOTEBOOKS = os.path.join(SOURCE, "notebooks")
sys.path.insert(0, NOTEBOOKS)
sys.path.insert(0, HERE)

import figcheck  # noqa: E402
import fixture  # noqa: E402
import gradtap_plots as gp  # noqa: E402

SEED = int(os.environ.get("GRADTAP_TEST_SEED", "7"))
print("test_plots: seed %d (GRADTAP_TEST_SEED)" % SEED)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("fixture"))
    expected = fixture.make_demo_dir(root, seed=SEED)
    return root, expected


def brute_force_ratio(u, rho):
    k = max(1, int(math.floor(rho * u.size)))
    squares = np.sort(u.astype(np.float64) ** 2)
    return squares[: u.size - k].sum() / squares.sum()


def test_predicted_ratios_match_the_closed_form_examples():
    # docs/THEORY.md s.7: rho = 0.001 gives 0.98730 (Gaussian) and 0.96823 (Laplace).
    assert gp.predicted_ratio_gaussian(0.001) == pytest.approx(0.98730, abs=5e-6)
    assert gp.predicted_ratio_laplace(0.001) == pytest.approx(0.96823, abs=5e-6)
    assert gp.predicted_ratio_gaussian(1.0) == 0.0
    assert math.isnan(gp.predicted_ratio_laplace(0.0))


@pytest.mark.parametrize("rho", [0.001, 0.01, 0.1, 0.5])
def test_predicted_ratios_match_sampled_vectors(rho):
    rng = np.random.default_rng(SEED)
    n = 1_000_000
    assert brute_force_ratio(rng.normal(0, 3.0, n), rho) == pytest.approx(gp.predicted_ratio_gaussian(rho), abs=3e-3)
    assert brute_force_ratio(rng.laplace(0, 0.2, n), rho) == pytest.approx(gp.predicted_ratio_laplace(rho), abs=4e-3)


@pytest.mark.parametrize("k,d,rho", [(156, 156800, 0.001), (1568, 156800, 0.01), (40, 40000, 0.001),
                                     (1, 10, 0.1), (1, 1200, 0.001), (199, 199210, 0.001), (24, 100, 0.24), (2, 7, 0.3)])
def test_nice_density_recovers_the_requested_density(k, d, rho):
    assert gp.nice_density(k, d) == pytest.approx(rho, rel=1e-12)
    assert max(1, math.floor(gp.nice_density(k, d) * d)) == k


def test_committed_steps_follow_the_format(tmp_path):
    import h5py

    path = tmp_path / "killed.h5"
    with h5py.File(path, "w") as f:
        f.attrs["complete"] = 0
        group = f.create_group("tensors/w/grad")
        group["data"] = np.arange(9, dtype=np.float32).reshape(3, 3)
        group["steps"] = np.array([0, 5, 9, 12, -1], dtype=np.int64)
        other = f.create_group("tensors/v/grad")
        other["data"] = np.ones((3, 2), dtype=np.float32)
        other["steps"] = np.array([2, 4, 3], dtype=np.int64)
        for name, link, numel in (("w", "tensors/w", 3), ("v", "tensors/v", 2)):
            f[link].attrs["name"], f[link].attrs["numel"] = name, numel
    with h5py.File(path, "r") as f:
        assert list(gp.committed_steps(f, f["tensors/w/grad"])) == [0, 5, 9]  # 3 data rows; -1: not written
        assert list(gp.committed_steps(f, f["tensors/v/grad"])) == [2, 4]  # 3 goes back
    # The readers keep the committed prefix of this crash-shaped file and nothing after it.
    listed = {name: list(steps) for name, _, _, steps in gp.list_snapshots(str(path), "grad")}
    assert listed == {"w": [0, 5, 9], "v": [2, 4]}
    np.testing.assert_array_equal(gp.read_snapshot(str(path), "w", "grad", 9), [6, 7, 8])
    with pytest.raises(ValueError, match="no step 12"):
        gp.read_snapshot(str(path), "w", "grad", 12)
    with pytest.raises(ValueError, match="no step 3"):
        gp.read_snapshot(str(path), "v", "grad", 3)
    with h5py.File(path, "r+") as f:
        f.attrs["complete"] = 1
    with h5py.File(path, "r") as f:
        assert list(gp.committed_steps(f, f["tensors/v/grad"])) == [2, 4, 3]  # complete: all rows


def test_bounds_closed_forms_match_hand_values():
    # k = 1, d = 4: 1 - 1/4, (3/4)^2, (2*1*4 - 1)/16.
    assert gp.bound_loose(1, 4) == 0.75
    assert gp.bound_tight(1, 4) == 0.5625
    assert gp.delta_tight(1, 4) == pytest.approx(7 / 16, abs=1e-15)
    # k = 156, d = 156800 (the demo's rho = 0.001 on fc1.weight).
    k, d = 156, 156800
    assert gp.bound_loose(k, d) == pytest.approx(156644 / 156800, rel=1e-15)
    assert gp.bound_tight(k, d) == pytest.approx((156644 / 156800) ** 2, rel=1e-15)
    assert gp.delta_tight(k, d) == pytest.approx((2 * k * d - k * k) / d ** 2, rel=1e-13)
    # Ends, and a density (d = 1) as the figures pass it; numpy arrays work.
    assert (gp.bound_loose(0, 10), gp.bound_tight(10, 10), gp.delta_tight(10, 10)) == (1.0, 0.0, 1.0)
    rho = np.array([0.001, 0.01, 0.5])
    np.testing.assert_allclose(gp.bound_tight(rho), gp.bound_loose(rho) ** 2, rtol=1e-15)
    np.testing.assert_allclose(gp.delta_tight(rho), 1 - gp.bound_tight(rho), rtol=1e-13)


@pytest.mark.parametrize("d,k", [(1, 1), (10, 0), (10, 3), (1000, 1), (4097, 41), (100_000, 100), (100_000, 100_000)])
def test_topk_ratio_matches_a_sort(d, k):
    rng = np.random.default_rng(SEED + d + k)
    u = rng.standard_t(3, size=d).astype(np.float32)  # heavy tails: the k largest carry most of ||u||^2
    squares = np.sort(u.astype(np.float64) ** 2)  # golden: sort, keep the d - k smallest
    want = squares[: d - k].sum() / squares.sum()
    assert gp.topk_ratio(u, k) == pytest.approx(want, rel=1e-12, abs=1e-15)
    assert gp.bound_loose(k, d) >= gp.topk_ratio(u, k) - 1e-12  # r_k <= 1 - k/d for every vector
    assert math.isnan(gp.topk_ratio(np.zeros(d), k))


def test_predicted_ratios_lie_below_the_loose_bound_and_match_sampled_top_k():
    rng = np.random.default_rng(SEED)
    g, lap = rng.normal(0, 1, 200_000), rng.laplace(0, 1, 200_000)
    for rho in (0.001, 0.02, 0.2, 0.9):
        k = int(rho * g.size)
        assert 0 <= gp.predicted_ratio_gaussian(rho) <= gp.bound_loose(rho)
        assert 0 <= gp.predicted_ratio_laplace(rho) <= gp.bound_loose(rho)
        assert gp.topk_ratio(g, k) == pytest.approx(gp.predicted_ratio_gaussian(rho), abs=5e-3)
        assert gp.topk_ratio(lap, k) == pytest.approx(gp.predicted_ratio_laplace(rho), abs=6e-3)


def test_package_keeps_files_and_functions_small():
    import ast
    import glob

    files = sorted(glob.glob(os.path.join(NOTEBOOKS, "gtplots", "*.py"))) + [os.path.join(NOTEBOOKS, "gradtap_plots.py")]
    assert len(files) >= 12
    for path in files:
        with open(path) as handle:
            text = handle.read()
        assert len(text.splitlines()) <= 800, path
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno - node.lineno + 1 <= 80, "%s: %s" % (path, node.name)


def test_read_csv_quoting_and_missing_values(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('tensor,ratio,file\n"a,b",0.5,x.h5\n"say ""hi""",nan,y.h5\nc,,z.h5\n')
    table = gp.read_csv(str(path))
    assert list(table.columns["tensor"]) == ["a,b", 'say "hi"', "c"]
    assert table.columns["ratio"][0] == 0.5 and np.isnan(table.columns["ratio"][1:]).all()
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1\n")
    with pytest.raises(ValueError, match="bad.csv:2"):
        gp.read_csv(str(bad))


def test_run_labels_follow_the_file_names():
    assert gp.run_label("out/data/run.topk.rank00003.h5") == "topk"
    assert gp.run_label("run.gaussiank.h5") == "gaussiank"
    assert gp.run_label("/x/my_run.h5") == "my_run"


def plotted_lines(ax):
    """(x, y) of the lines drawn with markers (the data, not the bounds)."""
    return [(np.asarray(l.get_xdata(), float), np.asarray(l.get_ydata(), float))
            for l in ax.get_lines() if l.get_marker() not in (None, "None", "")]


def test_bounds_figure_draws_the_brute_force_ratios(demo_dir):
    root, expected = demo_dir
    runs = gp.load_runs([os.path.join(root, "results", "bounds.csv")])
    assert [r for r, _ in runs] == ["topk", "gaussiank", "randk"]
    fig = gp.figure_bounds(runs)
    assert gp.layout_problems(fig) == []
    axes = [ax for ax in fig.axes if ax.axison]
    tensors = [t for t, _ in fixture.TENSORS[:3]]  # the three largest, largest first
    assert len(axes) == len(fixture.DENSITIES) * len(tensors)
    for index, ax in enumerate(axes):
        rho, tensor = fixture.DENSITIES[index // len(tensors)], tensors[index % len(tensors)]
        lines = plotted_lines(ax)
        assert len(lines) == len(fixture.METHODS)
        for method, (x, y) in zip(fixture.METHODS, lines):
            want = [expected[(method, tensor, s, rho)] for s in fixture.STEPS]
            np.testing.assert_allclose(x, fixture.STEPS)
            np.testing.assert_allclose(y, want, rtol=1e-12)
        d = dict(fixture.TENSORS)[tensor]
        k = fixture.k_of(rho, d)
        levels = sorted({round(float(l.get_ydata()[0]), 12) for l in ax.get_lines() if l.get_marker() in ("None", "")})
        assert levels == sorted({round((1 - k / d) ** 2, 12), round(1 - k / d, 12)})
    gp.save_figure(fig, os.path.join(root, "check", "bounds"))
    figcheck.check_figure(os.path.join(root, "check", "bounds"))


def test_curve_figure_draws_bounds_and_predictions(demo_dir):
    root, _ = demo_dir
    fig = gp.figure_curve(gp.load_runs(os.path.join(root, "results", "curve.csv")))
    assert gp.layout_problems(fig) == []
    ax = [a for a in fig.axes if a.axison][0]
    lines = {l.get_label(): l for l in ax.get_lines()}
    by_style = ax.get_lines()
    assert len(by_style) == len(fixture.METHODS) + 4
    loose, tight, gauss, laplace = by_style[-4:]
    x = np.asarray(loose.get_xdata())
    np.testing.assert_allclose(loose.get_ydata(), 1 - x)
    np.testing.assert_allclose(tight.get_ydata(), (1 - x) ** 2)
    # Independent of the module's closed forms: sorted Gaussian and Laplace samples.
    rng = np.random.default_rng(SEED)
    g, lap = rng.normal(0, 1, 400_000), rng.laplace(0, 1, 400_000)
    for rho in (0.01, 0.1, 0.3):
        i = int(np.argmin(np.abs(x - rho)))
        assert gauss.get_ydata()[i] == pytest.approx(brute_force_ratio(g, x[i]), abs=5e-3)
        assert laplace.get_ydata()[i] == pytest.approx(brute_force_ratio(lap, x[i]), abs=5e-3)
    assert lines  # labels exist (legend built from them)


def test_distribution_figure_uses_the_fit_table(demo_dir):
    root, _ = demo_dir
    path = os.path.join(root, "data", "run.topk.h5")
    fit = gp.read_csv(os.path.join(root, "results", "fit.csv"))
    fig = gp.figure_distribution(path, fit=fit)
    assert gp.layout_problems(fig) == []
    hist_axes = [a for a in fig.axes if a.axison][::2]
    assert len(hist_axes) == 3  # first, middle, last step
    # The Laplace curve's peak is 1/(2b) in the plotted unit; b from the table.
    steps = gp.choose_steps(fixture.STEPS)
    largest = max(np.max(np.abs(gp.read_snapshot(path, "fc1.weight", "acc", s))) for s in steps)
    scale = 10.0 ** -math.floor(math.log10(largest))  # the figure's unit: 10^decade of max |u|
    u = gp.read_snapshot(path, "fc1.weight", "acc", steps[0])
    median = np.median(u)
    b = np.mean(np.abs(u - median))
    peak = max(hist_axes[0].get_lines()[2].get_ydata())
    assert peak == pytest.approx(1 / (2 * b * scale), rel=0.02)


def test_convergence_and_speed_figures(demo_dir):
    root, _ = demo_dir
    fig = gp.figure_convergence([("run", gp.read_csv(os.path.join(root, "results", "converge.csv")))])
    assert gp.layout_problems(fig) == []
    fig = gp.figure_speed(gp.read_csv(os.path.join(root, "results", "speed.csv")))
    assert gp.layout_problems(fig) == []


def test_layout_check_finds_overlaps():
    import matplotlib.pyplot as plt

    gp.apply_style()
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.set_title("centre title that is long", loc="center")
    ax.set_title("left title that is long too", loc="left")
    problems = gp.layout_problems(fig)
    assert any("overlaps" in p for p in problems), problems


def test_command_line_writes_every_figure(demo_dir):
    root, _ = demo_dir
    out = os.path.join(root, "cli-figures")
    run = subprocess.run([sys.executable, os.path.join(NOTEBOOKS, "gradtap_plots.py"), "all", "--demo", root,
                          "--out", out], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "warning" not in run.stderr, run.stderr
    for name in gp.FIGURE_NAMES:
        figcheck.check_figure(os.path.join(out, name))


def test_command_line_skips_figures_without_inputs(demo_dir, tmp_path):
    root, _ = demo_dir
    own = tmp_path / "own"  # a user's run: snapshots and bounds only
    (own / "data").mkdir(parents=True)
    (own / "results").mkdir()
    os.link(os.path.join(root, "data", "run.topk.h5"), own / "data" / "run.h5")
    with open(os.path.join(root, "results", "bounds.csv")) as src, open(own / "results" / "bounds.csv", "w") as dst:
        dst.write(src.read())
    run = subprocess.run([sys.executable, os.path.join(NOTEBOOKS, "gradtap_plots.py"), "all", "--demo", str(own),
                          "--only", "distribution,bounds,convergence"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "figure convergence: skipped: no results/converge.csv" in run.stdout
    figcheck.check_figure(str(own / "figures" / "distribution"))
    figcheck.check_figure(str(own / "figures" / "bounds"))


def test_command_line_names_missing_inputs(tmp_path):
    run = subprocess.run([sys.executable, os.path.join(NOTEBOOKS, "gradtap_plots.py"), "all", "--demo",
                          str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "no inputs for any figure" in run.stderr
    for name in gp.FIGURE_NAMES:
        assert "figure %s: skipped: no " % name in run.stdout
    run = subprocess.run([sys.executable, os.path.join(NOTEBOOKS, "gradtap_plots.py"), "all", "--demo",
                          str(tmp_path), "--only", "nonsense"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "nonsense" in run.stderr
