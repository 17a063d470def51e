"""Figure 1, distribution: histograms of u at chosen steps with the fitted
Gaussian and Laplace densities, and Q-Q plots against both fits; steps
with only a summary get its log2 |u| histogram."""

import math
import os

import matplotlib
import matplotlib.ticker  # noqa: F401
import numpy as np

from .layout import _finish_legend, _new_figure, save_figure, tensor_label
from .readers import list_snapshots, open_snapshot, read_snapshot, run_label
from .style import FAMILY_COLORS, apply_style, kind_label, method_label
from .summaries import binned_gaussian, binned_laplace, log2_bin_edges, read_summaries, summary_steps
from .theory import (fit_gaussian, fit_laplace, gaussian_pdf, gaussian_quantile, laplace_pdf, laplace_quantile,
                     qq_probabilities)

__all__ = ["choose_steps", "choose_tensor", "figure_distribution"]


def _fit_from_table(fit, tensor, kind, step, rank=0, path=None):
    """(gaussian (mu, sigma), laplace (m, b)) from `gradtap fit` CSV rows of
    this snapshot (and file, when the table has a `file` column), or None
    for a family the table does not describe."""
    if fit is None:
        return None, None
    mask = np.ones(len(fit), dtype=bool)
    if path is not None and "file" in fit.columns:
        mask &= np.array([os.path.basename(str(f)) == os.path.basename(path) for f in fit.columns["file"]])
    for name, value in (("tensor", tensor), ("kind", kind), ("step", step), ("rank", rank)):
        if name in fit.columns:
            column = fit.columns[name]
            mask &= (column == value) if column.dtype == object else (column == float(value))
    if not mask.any():
        return None, None
    row = {k: v[mask][0] for k, v in fit.columns.items()}

    def pair(a_names, b_names):
        a = next((row[n] for n in a_names if n in row), None)
        b = next((row[n] for n in b_names if n in row), None)
        if a is None or b is None or not (np.isfinite(a) and np.isfinite(b) and b > 0):
            return None
        return float(a), float(b)

    gaussian = pair(("gauss_loc", "gaussian_mu", "gauss_mu", "gaussian_mean"),
                    ("gauss_scale", "gaussian_sigma", "gauss_sigma", "gaussian_std"))
    laplace = pair(("laplace_loc", "laplace_mu", "laplace_m"), ("laplace_scale", "laplace_b"))
    return gaussian, laplace


def _decade(value):
    """The power of ten of `value` (0 for 0 or non-finite)."""
    if not (value > 0 and math.isfinite(value)):
        return 0
    return int(math.floor(math.log10(value)))


def choose_steps(steps, count=3):
    """`count` steps spread over a run: first, middle(s), last."""
    steps = np.unique(np.asarray(steps))
    if steps.size <= count:
        return [int(s) for s in steps]
    picks = np.linspace(0, steps.size - 1, count).round().astype(int)
    return [int(steps[i]) for i in picks]


def choose_tensor(path, kind):
    """The largest tensor holding `kind` in a snapshot file."""
    entries = [e for e in list_snapshots(path, kind) if e[3].size > 0]
    if not entries:
        raise ValueError("%s: no snapshots of kind %s" % (path, kind))
    return max(entries, key=lambda e: e[2])[0]


def _plan_rows(snapshot_path, tensor, kind, steps):
    """[(step, "snapshot" | "summary")]: each step from its snapshot when
    there is one, else from its summary (docs/FORMAT.md); ValueError naming
    a step that has neither. Default steps: first, middle, last snapshot."""
    listed = next((e[3] for e in list_snapshots(snapshot_path, kind) if e[0] == tensor), np.zeros(0))
    summarised = summary_steps(snapshot_path, kind).get(tensor, np.zeros(0))
    if steps is None:
        if listed.size == 0:
            raise ValueError("%s: tensor %s has no %s snapshots" % (snapshot_path, tensor, kind))
        return [(s, "snapshot") for s in choose_steps(listed)]
    rows = []
    for step in steps:
        if np.any(listed == step):
            rows.append((int(step), "snapshot"))
        elif np.any(summarised == step):
            rows.append((int(step), "summary"))
        else:
            raise ValueError("%s: tensor %s kind %s has no snapshot or summary of step %d"
                             % (snapshot_path, tensor, kind, step))
    return rows


def _run_title(snapshot_path, tensor, kind):
    """"top-k run, rank 0: accumulated u = g + r of fc1.weight"."""
    with open_snapshot(snapshot_path) as handle:
        rank = handle.attrs.get("rank")
    where = "%s, rank %d" % (method_label(run_label(snapshot_path)), int(rank)) if rank is not None else \
        method_label(run_label(snapshot_path))
    return "%s: %s of %s" % (where, kind_label(kind), tensor_label(tensor, width=30, lines=1))


def figure_distribution(snapshot_path, tensor=None, kind="acc", steps=None, fit=None, stem=None,
                        bins=121, title=None):
    """Figure 1: per chosen step a histogram of u (log density, so the tails
    show) with the fitted Gaussian and Laplace densities, and a Q-Q plot of
    the sample against both fits (points on the diagonal = a perfect fit).
    A step with a summary but no snapshot gets one wide panel instead: the
    log2 |u| histogram of its summary with the share of each octave a
    Gaussian (mean, variance of the summary) and a Laplace (scale ||u||_1 / n)
    would give.

    snapshot_path: a snapshot file; tensor: a tensor name (default the
    largest); kind: grad|residual|acc|param|reduced; steps: list (default first,
    middle, last snapshot); fit: Table of `gradtap fit --format csv` (its
    Gaussian and Laplace parameters are used when it has rows for the
    snapshot; otherwise the maximum-likelihood fits are computed here);
    title: default run, rank, kind and tensor (False: none). Returns the
    written paths when `stem` is given, else the figure."""
    apply_style()
    if tensor is None:
        tensor = choose_tensor(snapshot_path, kind)
    rows = _plan_rows(snapshot_path, tensor, kind, steps)
    vectors = {}
    for step, source in rows:
        if source == "snapshot":
            u = read_snapshot(snapshot_path, tensor, kind, step)
            vectors[step] = u[np.isfinite(u)]
    exponent = _decade(max((float(np.max(np.abs(u), initial=0.0)) for u in vectors.values()), default=0.0))
    scale = 10.0 ** -exponent
    unit = " ($\\times 10^{%d}$)" % exponent if exponent else ""
    fig, grid, legend_ax = _new_figure([1.1] * len(rows), 2, width_ratios=[1.55, 1.0])
    handles, drawn = None, []
    for i, (step, source) in enumerate(rows):
        if source == "summary":
            ax = fig.add_subplot(grid[i, :])
            handles = _draw_summary_histogram(ax, read_summaries(snapshot_path, tensor, kind), step)
            continue
        u = vectors[step]
        gaussian, laplace = _fit_from_table(fit, tensor, kind, step, path=snapshot_path)
        gaussian = gaussian or fit_gaussian(u)
        laplace = laplace or fit_laplace(u)
        # Everything below is drawn in units of 10^exponent (no offset text).
        u = u * scale
        gaussian = (gaussian[0] * scale, gaussian[1] * scale)
        laplace = (laplace[0] * scale, laplace[1] * scale)
        ax_h = fig.add_subplot(grid[i, 0])
        ax_q = fig.add_subplot(grid[i, 1])
        handles, edges = _draw_histogram(ax_h, u, gaussian, laplace, bins)
        ax_h.set_title("step %d, d = %d" % (step, u.size), loc="left")
        _draw_qq(ax_q, u, gaussian, laplace, edges)
        drawn.append((ax_h, ax_q))
    if drawn:
        drawn[0][1].set_title("Q-Q plot", loc="left")
        for ax_h, ax_q in drawn:
            ax_h.set_ylabel("density")
            ax_q.set_ylabel("sample" + unit)
            ax_q.set_aspect("equal", adjustable="box")
        drawn[-1][0].set_xlabel("u" + unit)
        drawn[-1][1].set_xlabel("fitted" + unit)
    _finish_legend(fig, grid, legend_ax, handles, ["data", "Gaussian fit", "Laplace fit"])
    if title is not False:
        fig.suptitle(title or _run_title(snapshot_path, tensor, kind), fontsize=matplotlib.rcParams["axes.titlesize"])
    return save_figure(fig, stem) if stem else fig


def _draw_histogram(ax, u, gaussian, laplace, bins):
    """Histogram of u (log density) around the Laplace location with both
    fitted densities; returns ([data, Gaussian, Laplace] lines, bin edges)."""
    span = max(np.max(np.abs(u - laplace[0])), 1e-30)
    edges = np.linspace(laplace[0] - span, laplace[0] + span, bins)
    density, _ = np.histogram(u, bins=edges, density=True)
    centres = 0.5 * (edges[1:] + edges[:-1])
    h_data = ax.step(centres, np.where(density > 0, density, np.nan), where="mid", color="#555555",
                     linewidth=0.8)[0]
    x = np.linspace(edges[0], edges[-1], 400)
    h_gauss = ax.plot(x, gaussian_pdf(x, *gaussian), color=FAMILY_COLORS["gaussian"])[0]
    h_lap = ax.plot(x, laplace_pdf(x, *laplace), color=FAMILY_COLORS["laplace"], linestyle="--")[0]
    positive = density[density > 0]
    top = max(positive.max() if positive.size else 1.0, gaussian_pdf(gaussian[0], *gaussian))
    ax.set_yscale("log")
    ax.set_ylim(positive.min() / 3.0 if positive.size else top * 1e-4, top * 3.0)
    ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(numticks=4))
    ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    return [h_data, h_gauss, h_lap], edges


def _draw_qq(ax, u, gaussian, laplace, edges):
    """Q-Q plot of u against both fits: few small open markers, the
    diagonal on top of them, both axes with the same limits and ticks."""
    p = qq_probabilities(u.size, points=31)
    sample = np.quantile(u, p)
    ax.plot(gaussian_quantile(p, *gaussian), sample, "o", color=FAMILY_COLORS["gaussian"], markersize=2.6,
            markerfacecolor="none", markeredgewidth=0.6)
    ax.plot(laplace_quantile(p, *laplace), sample, "s", color=FAMILY_COLORS["laplace"], markersize=2.2,
            markerfacecolor="none", markeredgewidth=0.6)
    lim = [min(sample.min(), edges[0]), max(sample.max(), edges[-1])]
    ax.plot(lim, lim, color="#000000", linewidth=0.5, linestyle=(0, (4, 2)), zorder=3)
    ticks = [t for t in matplotlib.ticker.MaxNLocator(3, symmetric=True).tick_values(*lim) if lim[0] <= t <= lim[1]]
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
    ax.set_xlim(lim)
    ax.set_ylim(lim)


def _draw_summary_histogram(ax, summary, step):
    """The summary's log2 |u| histogram at `step` as shares of the finite
    non-zero values per octave, with what a Gaussian and a Laplace of the
    summary's moments give. Returns [data, Gaussian, Laplace] lines."""
    row = int(np.nonzero(summary["steps"] == step)[0][0])
    counts = summary["hist"][row].astype(float)
    edges = log2_bin_edges(summary["hist_min_exponent"], counts.size)
    share = counts / max(counts.sum(), 1.0)
    used = np.nonzero(counts)[0]
    lo, hi = (used[0], used[-1] + 1) if used.size else (0, counts.size)
    lo, hi = max(lo - 2, 0), min(hi + 2, counts.size)
    moments = summary["moments"]
    finite = max(float(summary["counts"]["finite"][row]), 1.0)
    gauss = binned_gaussian(edges, moments["mean"][row], moments["variance"][row])
    laplace = binned_laplace(edges, moments["abs_sum"][row] / finite)  # mean |u|: the Laplace scale about 0
    x = edges[lo:hi + 1]
    h_data = ax.stairs(np.where(share[lo:hi] > 0, share[lo:hi], np.nan), x, color="#555555", linewidth=0.8)
    h_gauss = ax.stairs(gauss[lo:hi], x, color=FAMILY_COLORS["gaussian"])
    h_lap = ax.stairs(laplace[lo:hi], x, color=FAMILY_COLORS["laplace"], linestyle="--")
    ax.set_yscale("log")
    positive = share[share > 0]
    ax.set_ylim(max(positive.min() / 3.0, 1e-9) if positive.size else 1e-6, 1.5)
    ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(numticks=4))
    ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(8, integer=True))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: "$2^{%d}$" % v))
    ax.set_title("step %d (summary only), d = %d" % (step, summary["numel"]), loc="left")
    ax.set_xlabel("|u|, log2 bins")
    ax.set_ylabel("share of values")
    return [h_data, h_gauss, h_lap]
