"""test_figures.py - the figures are fit for a paper, and the every-step
figure draws what its table says.

Layout: every figure the plotting package draws (gradtap_plots, on the
synthetic demo directory of fixture.py and a synthetic file with
summaries) is drawn and its text, every text artist as the renderer draws
it (gp.drawn_texts, gp.layout_problems), must neither overlap nor leave
the canvas; deliberately broken figures prove that the check catches both
(and that a clean one passes). Also: compact legends below the panels,
no internal names in the text, top-k and Gaussian-k told apart, distinct
colours, positive bits on the log axis, Q-Q panels on equal ticks.

Every step (fig_steps, summaries): the lines, snapshot markers and both
references drawn against values computed here by brute force; the
distribution figure's summary panel against a frexp histogram; a file
written by the capture hook (when `gradtap` imports); the command line."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture  # noqa: E402  (puts notebooks/ on sys.path)
import figcheck  # noqa: E402
import gradtap_plots as gp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

NOTEBOOKS = fixture.NOTEBOOKS
SEED = int(os.environ.get("GRADTAP_TEST_SEED", "7"))
LONG_NAMES = ("module.encoder.layers.11.attention.self.query.weight",
              "module.encoder.layers.11.attention.output.dense.weight", "module.decoder.embed_tokens.weight")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("fixture"))
    fixture.make_demo_dir(root, seed=SEED)
    return root


@pytest.fixture(scope="module")
def summary_file(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("summaries") / "run.topk.h5")
    return path, fixture.write_summary_file(path)


def long_name_bounds(root):
    """The fixture's bounds rows with long, transformer-like tensor names."""
    table = gp.read_table(os.path.join(root, "results", "bounds.csv"))
    names = dict(zip([t for t, _ in fixture.TENSORS], LONG_NAMES + ("module.head.bias",)))
    table.columns["tensor"] = np.array([names[t] for t in table.columns["tensor"]], dtype=object)
    return gp.split_runs(table)


def every_figure(root, summary_path):
    """{name: builder} of every figure family the package draws."""
    results = os.path.join(root, "results")
    snapshots = os.path.join(root, "data", "run.topk.h5")
    steps = gp.every_step_table(summary_path)
    return {
        "distribution": lambda: gp.figure_distribution(snapshots, fit=gp.read_table(os.path.join(results, "fit.csv"))),
        "distribution_summary": lambda: gp.figure_distribution(summary_path, steps=[0, 5, 11]),
        "bounds": lambda: gp.figure_bounds(gp.load_runs(os.path.join(results, "bounds.csv"))),
        "bounds_long_names": lambda: gp.figure_bounds(long_name_bounds(root)),
        "curve": lambda: gp.figure_curve(gp.load_runs(os.path.join(results, "curve.csv"))),
        "convergence": lambda: gp.figure_convergence([("run", gp.read_table(os.path.join(results, "converge.csv")))]),
        "speed": lambda: gp.figure_speed(gp.read_timing(os.path.join(results, "speed.csv"))),
        "steps_delta": lambda: gp.figure_steps([("topk", steps), ("gaussiank", steps)]),
        "steps_ratio": lambda: gp.figure_steps([("topk", steps)], quantity="ratio"),
    }


FIGURES = ("distribution", "distribution_summary", "bounds", "bounds_long_names", "curve", "convergence", "speed",
           "steps_delta", "steps_ratio")


@pytest.mark.parametrize("name", FIGURES)
def test_no_text_overlaps_or_leaves_the_canvas(name, demo_dir, summary_file):
    fig = every_figure(demo_dir, summary_file[0])[name]()
    texts = gp.drawn_texts(fig)
    assert len(texts) >= 12, "%s: only %d texts drawn: %s" % (name, len(texts), texts)
    assert gp.layout_problems(fig) == []
    plt.close(fig)


def _overlapping_titles(fig, ax):
    ax.set_title("a centre title that is long", loc="center")
    ax.set_title("a left title, long as well", loc="left")


def _crowded_ticks(fig, ax):
    ax.set_xticks(np.linspace(0, 1, 41))


def _label_off_the_canvas(fig, ax):
    ax.set_ylabel("a y label pushed away")
    ax.yaxis.set_label_coords(-3.0, 0.5)


def _legend_over_a_title(fig, ax):
    ax.plot([0, 1], [0, 1], label="a legend entry")
    ax.set_title("the title under it")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0))


def _figure_text_cut_at_the_edge(fig, ax):
    fig.text(0.9, 0.5, "a note running past the right edge")


@pytest.mark.parametrize("breaker,message", [(_overlapping_titles, "overlaps"), (_crowded_ticks, "overlaps"),
                                             (_label_off_the_canvas, "sticks out of the figure"),
                                             (_legend_over_a_title, "overlaps"),
                                             (_figure_text_cut_at_the_edge, "sticks out of the figure")])
def test_text_check_catches_a_broken_figure(breaker, message):
    gp.apply_style()
    fig, ax = plt.subplots(figsize=(2.4, 1.8), layout="none")
    fig.subplots_adjust(left=0.25, bottom=0.25)
    ax.plot([0, 1], [0, 1])
    assert gp.layout_problems(fig) == []  # the unbroken figure is clean
    breaker(fig, ax)
    problems = gp.layout_problems(fig)
    assert any(message in p for p in problems), problems
    plt.close(fig)


def test_text_check_catches_a_broken_package_figure(demo_dir):
    fig = gp.figure_bounds(gp.load_runs(os.path.join(demo_dir, "results", "bounds.csv")))
    assert gp.layout_problems(fig) == []
    panel = [a for a in fig.axes if a.axison][0]
    panel.set_title("a title far too long for one of three panels", loc="left")
    assert any("overlaps" in p for p in gp.layout_problems(fig))
    plt.close(fig)


def _legend_box(fig):
    legend = next(a.get_legend() for a in fig.axes if a.get_legend() is not None)
    fig.canvas.draw()
    return legend, legend.get_window_extent(fig.canvas.get_renderer())


@pytest.mark.parametrize("name", FIGURES)
def test_legends_are_compact_and_below_the_panels(name, demo_dir, summary_file):
    fig = every_figure(demo_dir, summary_file[0])[name]()
    legend, box = _legend_box(fig)
    assert box.height <= 0.2 * fig.bbox.height, "%s: legend is %.0f%% of the height" % (
        name, 100 * box.height / fig.bbox.height)
    panels = [a.get_window_extent() for a in fig.axes if a.axison]
    assert box.y1 <= min(p.y0 for p in panels) + 1, name
    plt.close(fig)


@pytest.mark.parametrize("name", FIGURES)
def test_no_internal_names_in_the_text(name, demo_dir, summary_file):
    fig = every_figure(demo_dir, summary_file[0])[name]()
    words = [w for text, _ in gp.drawn_texts(fig) for w in text.replace(",", " ").replace(":", " ").split()]
    for jargon in ("(global)", "acc", "run", "4d", "grad", "residual"):
        assert jargon not in words, "%s: %r in %s" % (name, jargon, sorted(set(words)))
    plt.close(fig)


def test_titles_say_what_is_drawn(demo_dir):
    fig = gp.figure_distribution(os.path.join(demo_dir, "data", "run.topk.h5"))
    assert fig._suptitle.get_text() == "top-k, rank 0: accumulated u = g + r of fc1.weight"
    plt.close(fig)
    fig = gp.figure_bounds(long_name_bounds(demo_dir))
    titles = [a.get_title() for a in fig.axes if a.axison and a.get_title()]
    # The shared head is dropped and the distinguishing ends stay.
    assert any(t.endswith("query.weight") for t in titles) and any(t.endswith("dense.weight") for t in titles)
    assert all(not t.startswith("module.") for t in titles), titles
    assert "logit" in fig._supylabel.get_text()
    for ax in (a for a in fig.axes if a.axison):
        assert len(ax.yaxis.get_minorticklocs()) == 0  # no crowded logit minor ticks
    plt.close(fig)


def test_tensor_labels_keep_the_distinguishing_end():
    assert gp.tensor_label("(global)") == "whole model"
    assert gp.tensor_label("fc1.weight") == "fc1.weight"
    label = gp.tensor_label(LONG_NAMES[0], LONG_NAMES, width=16)
    assert label.endswith("query.weight") and all(len(line) <= 16 for line in label.split("\n"))
    cut = gp.tensor_label(LONG_NAMES[0], width=16, lines=2)
    assert cut.startswith("\u2026") and cut.endswith("query.weight") and max(map(len, cut.split("\n"))) <= 16


def _lab(hex_colour):
    """CIE L*a*b* (D65) of an sRGB colour."""
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255.0 for i in (1, 3, 5)])
    rgb = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb
    f = np.cbrt(xyz / np.array([0.9505, 1.0, 1.089]))
    f = np.where(xyz / np.array([0.9505, 1.0, 1.089]) > 0.008856, f,
                 7.787 * xyz / np.array([0.9505, 1.0, 1.089]) + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_colours_of_one_figure_are_far_apart():
    # The curve figure: the demo's four methods and both families.
    colours = [gp.method_color(m) for m in ("dense", "topk", "gaussiank", "randk")] + \
        [gp.FAMILY_COLORS["gaussian"], gp.FAMILY_COLORS["laplace"]]
    for i in range(len(colours)):
        for j in range(i + 1, len(colours)):
            distance = np.linalg.norm(_lab(colours[i]) - _lab(colours[j]))
            assert distance >= 20, "%s and %s: delta E %.1f" % (colours[i], colours[j], distance)


def test_topk_and_gaussiank_stay_visible_where_they_coincide(demo_dir):
    fig = gp.figure_curve(gp.load_runs(os.path.join(demo_dir, "results", "curve.csv")))
    lines = {l.get_color(): l for l in fig.axes[1].get_lines()}
    topk, gaussk = lines[gp.method_color("topk")], lines[gp.method_color("gaussiank")]
    assert topk.get_linewidth() >= 2 * gaussk.get_linewidth()  # the wide band shows around the thin line
    assert gaussk.get_zorder() > topk.get_zorder() and gaussk.get_linestyle() != topk.get_linestyle()
    assert topk.get_marker() != gaussk.get_marker() and topk.get_markersize() > gaussk.get_markersize()
    plt.close(fig)


def test_convergence_against_bits_draws_only_what_was_sent(demo_dir):
    table = gp.read_table(os.path.join(demo_dir, "results", "converge.csv"))
    fig = gp.figure_convergence([("run", table)])
    log_axes = [a for a in fig.axes if a.axison and a.get_xscale() == "log"]
    assert len(log_axes) == 2
    for ax in log_axes:
        for line in ax.get_lines():
            assert np.all(np.asarray(line.get_xdata()) > 0)
    dense = table.select(table.columns["method"] == "dense")
    first = log_axes[0].get_lines()[0]
    np.testing.assert_allclose(first.get_xdata(), dense.columns["bits"][dense.columns["bits"] > 0])
    plt.close(fig)


def test_qq_panels_have_equal_ticks_and_show_the_diagonal(demo_dir):
    fig = gp.figure_distribution(os.path.join(demo_dir, "data", "run.topk.h5"))
    qq = [a for a in fig.axes if a.axison][1::2]
    for ax in qq:
        np.testing.assert_allclose(ax.get_xticks(), ax.get_yticks())
        steps = np.diff(ax.get_xticks())
        np.testing.assert_allclose(steps, steps[0])
        markers = [l for l in ax.get_lines() if l.get_linestyle() == "None"]
        diagonal = [l for l in ax.get_lines() if l.get_linestyle() != "None"][0]
        assert all(len(l.get_xdata()) <= 40 for l in markers)
        assert diagonal.get_zorder() > max(l.get_zorder() for l in markers)
    assert "10^{" in qq[-1].get_xlabel() and "10^{" in qq[len(qq) // 2].get_ylabel()
    plt.close(fig)


def _synthetic_step_table():
    """Rows as `gradtap bounds` writes them with summaries: every step a
    summary row, every 10th step a snapshot row first; whole model and two
    layers; two densities."""
    rng = np.random.default_rng(SEED)
    rows = []
    for tensor, d in (("(global)", 50000), ("enc.0.weight", 40000), ("enc.0.bias", 10000)):
        for rho in (0.001, 0.01):
            k = fixture.k_of(rho, d)
            for step in range(40):
                ratio = 1 - (3 + math.sin(step)) * k / d - rng.uniform(0, 1e-3)
                for source in (("snapshot", "summary") if step % 10 == 0 else ("summary",)):
                    rows.append((0, step, tensor, "acc", d, k, rho, ratio, 1 - ratio,
                                 (2 * k * d - k * k) / d ** 2, 1 - k / d, (1 - k / d) ** 2, "ok", source))
    names = ("rank", "step", "tensor", "kind", "d", "k", "density", "ratio", "delta_emp", "delta_tight",
             "bound_loose", "bound_tight", "status", "source")
    columns = {n: np.array([r[i] for r in rows], dtype=object if isinstance(rows[0][i], str) else float)
               for i, n in enumerate(names)}
    return gp.Table(columns, "synthetic")


@pytest.mark.parametrize("quantity", ["delta", "ratio"])
def test_steps_figure_draws_every_step_snapshots_and_references(quantity):
    table = _synthetic_step_table()
    fig = gp.figure_steps([("topk", table)], quantity=quantity)
    panels = [a for a in fig.axes if a.axison]
    assert len(panels) == 3 * 2
    assert [a.get_ylabel() for a in panels[::2]] == ["whole model", "enc.0.weight", "enc.0.bias"]
    for index, ax in enumerate(panels):
        tensor = ("(global)", "enc.0.weight", "enc.0.bias")[index // 2]
        rho = (0.001, 0.01)[index % 2]
        rows = table.select((table.columns["tensor"] == tensor) & (table.columns["density"] == rho)
                            & (table.columns["source"] == "summary"))
        d, k = rows.columns["d"][0], rows.columns["k"][0]
        want = rows.columns["ratio"] if quantity == "ratio" else 1 - rows.columns["ratio"]
        line, markers, tight, loose = ax.get_lines()
        np.testing.assert_allclose(line.get_xdata(), np.arange(40))
        np.testing.assert_allclose(line.get_ydata(), want, rtol=1e-12)
        np.testing.assert_allclose(markers.get_xdata(), [0, 10, 20, 30])
        np.testing.assert_allclose(markers.get_ydata(), want[::10], rtol=1e-12)
        if quantity == "delta":  # 1 - (1 - k/d)^2 and k/d
            np.testing.assert_allclose(tight.get_ydata(), 1 - (1 - k / d) ** 2, rtol=1e-12)
            np.testing.assert_allclose(loose.get_ydata(), k / d, rtol=1e-12)
            assert ax.get_yscale() == "log"
        else:
            np.testing.assert_allclose(tight.get_ydata(), (1 - k / d) ** 2, rtol=1e-12)
            assert ax.get_yscale() == "logit"
    assert gp.layout_problems(fig) == []
    plt.close(fig)


def test_steps_table_from_summaries_matches_brute_force(summary_file):
    path, vectors = summary_file
    table = gp.every_step_table(path)
    for tensor, d in (("layer.0.weight", 3000), ("layer.0.bias", 300)):
        for rho in (0.01, 0.1):
            k = fixture.k_of(rho, d)
            for source, steps in (("summary", range(12)), ("snapshot", range(0, 12, 4))):
                mask = (table.columns["tensor"] == tensor) & (table.columns["density"] == rho) & \
                    (table.columns["source"] == source)
                assert list(table.columns["step"][mask]) == list(steps)
                want = [fixture.tail_ratio(vectors[(tensor, s)], k) for s in steps]
                np.testing.assert_allclose(table.columns["ratio"][mask], want, rtol=1e-12)
                np.testing.assert_allclose(table.columns["delta_tight"][mask], (2 * k * d - k * k) / d ** 2)
                assert set(table.columns["k"][mask]) == {k}


def test_distribution_falls_back_to_the_summary_histogram(summary_file):
    path, vectors = summary_file
    fig = gp.figure_distribution(path, tensor="layer.0.weight", steps=[4, 5])
    panels = [a for a in fig.axes if a.axison]
    assert len(panels) == 3  # step 4: histogram and Q-Q; step 5: summary only, one wide panel
    assert "summary only" in panels[2].get_title(loc="left")
    data = panels[2].patches[0]  # the first stairs: the data
    shares = fixture.log2_histogram(vectors[("layer.0.weight", 5)].astype(np.float64))
    shares = shares / shares.sum()
    drawn = np.asarray(data.get_data().values, dtype=float)
    edges = np.asarray(data.get_data().edges, dtype=float)
    lo = int(edges[0]) + 65  # edge exponent -65 is bin 0
    np.testing.assert_allclose(np.nan_to_num(drawn), shares[lo:lo + drawn.size], rtol=1e-12)
    assert math.isclose(np.nansum(drawn), 1.0, rel_tol=1e-12)
    with pytest.raises(ValueError, match="no snapshot or summary of step 99"):
        gp.figure_distribution(path, tensor="layer.0.weight", steps=[99])
    plt.close(fig)


def test_binned_families_sum_to_one():
    edges = gp.log2_bin_edges()
    assert edges.size == 83 and edges[0] == -65 and edges[-1] == 17
    assert math.isclose(np.nansum(gp.binned_gaussian(edges, 0.0, 1e-4)), 1.0, abs_tol=1e-9)
    assert math.isclose(np.nansum(gp.binned_laplace(edges, 1e-3)), 1.0, abs_tol=1e-9)
    rng = np.random.default_rng(SEED)
    sample = rng.laplace(0, 1e-3, 200_000)
    observed = fixture.log2_histogram(sample) / sample.size
    np.testing.assert_allclose(gp.binned_laplace(edges, 1e-3)[observed > 0.05], observed[observed > 0.05], rtol=0.05)


def test_capture_file_with_summaries(tmp_path):
    gradtap = pytest.importorskip("gradtap")
    torch = pytest.importorskip("torch")
    path = tmp_path / "run.topk.h5"
    generator = torch.Generator().manual_seed(SEED)
    capture = gradtap.Capture(path, every=3, summary_every=1, densities=[0.01, 0.1], kinds=("acc",), rank=0,
                              world_size=1)
    vectors = {}
    for step in range(8):
        vectors[step] = torch.randn(5000, generator=generator) * (1 + step)
        capture.record("w", vectors[step], step, kind="acc")
    capture.close()
    table = gp.every_step_table(str(path))
    for rho in (0.01, 0.1):
        k = fixture.k_of(rho, 5000)
        summary = table.select((table.columns["source"] == "summary") & (table.columns["density"] == rho))
        assert list(summary.columns["step"]) == list(range(8))
        np.testing.assert_allclose(summary.columns["ratio"], [fixture.tail_ratio(vectors[s].numpy(), k)
                                                               for s in range(8)], rtol=1e-12)
        snapshot = table.select((table.columns["source"] == "snapshot") & (table.columns["density"] == rho))
        assert list(snapshot.columns["step"]) == [0, 3, 6]
        np.testing.assert_allclose(snapshot.columns["ratio"], summary.columns["ratio"][[0, 3, 6]], rtol=1e-12)
    fig = gp.figure_steps(gp.split_runs(table))
    assert gp.layout_problems(fig) == []
    plt.close(fig)
    fig = gp.figure_distribution(str(path), steps=[3, 4])
    assert gp.layout_problems(fig) == []
    plt.close(fig)


def test_command_line_draws_the_steps_figure(summary_file, tmp_path):
    path, _ = summary_file
    script = os.path.join(NOTEBOOKS, "gradtap_plots.py")
    run = subprocess.run([sys.executable, script, "steps", "--snapshots", path, "--out", str(tmp_path / "a")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "warning" not in run.stderr, run.stderr
    figcheck.check_figure(str(tmp_path / "a"))
    # From a results table with a `source` column, as `gradtap bounds` will write it.
    table = gp.every_step_table(path)
    csv_path = tmp_path / "bounds.csv"
    names = list(table.columns)
    fixture.write_csv(str(csv_path), names, zip(*[table.columns[n] for n in names]))
    run = subprocess.run([sys.executable, script, "steps", "--csv", "topk=%s" % csv_path, "--quantity", "ratio",
                          "--out", str(tmp_path / "b")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "warning" not in run.stderr, run.stderr
    figcheck.check_figure(str(tmp_path / "b"))
    run = subprocess.run([sys.executable, script, "steps", "--snapshots", str(tmp_path / "none.h5"), "--out",
                          str(tmp_path / "c")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "none.h5" in run.stderr


def test_bounds_figure_keeps_to_snapshot_rows():
    # A bounds table with summary rows as well: the bounds figure draws the snapshots only.
    table = _synthetic_step_table()
    fig = gp.figure_bounds([("topk", table)])
    for ax in (a for a in fig.axes if a.axison):
        data = [l for l in ax.get_lines() if l.get_marker() not in (None, "None", "")]
        assert len(data) == 1
        np.testing.assert_allclose(data[0].get_xdata(), [0, 10, 20, 30])
    plt.close(fig)
