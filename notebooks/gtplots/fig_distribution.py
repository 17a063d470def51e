"""Figure 1, distribution: histograms of u at chosen steps with the fitted
Gaussian and Laplace densities, and Q-Q plots against both fits."""

import math
import os

import matplotlib
import matplotlib.ticker  # noqa: F401
import numpy as np

from .layout import _finish_legend, _new_figure, _short, save_figure
from .readers import list_snapshots, read_snapshot
from .style import FAMILY_COLORS, apply_style
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


def figure_distribution(snapshot_path, tensor=None, kind="acc", steps=None, fit=None, stem=None,
                        bins=121, title=None):
    """Figure 1: per chosen step a histogram of u (log density, so the tails
    show) with the fitted Gaussian and Laplace densities, and a Q-Q plot of
    the sample against both fits (points on the diagonal = a perfect fit).

    snapshot_path: a snapshot file; tensor: a tensor name (default the
    largest); kind: grad|residual|acc|param|reduced; steps: list (default first,
    middle, last); fit: Table of `gradtap fit --format csv` (its Gaussian and
    Laplace parameters are used when it has rows for the snapshot; otherwise
    the maximum-likelihood fits are computed here). Returns the written paths
    when `stem` is given, else the figure."""
    apply_style()
    if tensor is None:
        tensor = choose_tensor(snapshot_path, kind)
    available = next((e[3] for e in list_snapshots(snapshot_path, kind) if e[0] == tensor), None)
    if available is None or available.size == 0:
        raise ValueError("%s: tensor %s has no %s snapshots" % (snapshot_path, tensor, kind))
    steps = choose_steps(available) if steps is None else list(steps)
    rows = len(steps)
    vectors = []
    for step in steps:
        u = read_snapshot(snapshot_path, tensor, kind, step)
        vectors.append(u[np.isfinite(u)])
    exponent = _decade(max(float(np.max(np.abs(u), initial=0.0)) for u in vectors))
    scale = 10.0 ** -exponent
    unit = " ($\\times 10^{%d}$)" % exponent if exponent else ""
    fig, grid, legend_ax = _new_figure([1.1] * rows, 2, width_ratios=[1.55, 1.0])
    handles = None
    for i, (step, u) in enumerate(zip(steps, vectors)):
        gaussian, laplace = _fit_from_table(fit, tensor, kind, step, path=snapshot_path)
        gaussian = gaussian or fit_gaussian(u)
        laplace = laplace or fit_laplace(u)
        # Everything below is drawn in units of 10^exponent (no offset text).
        u = u * scale
        gaussian = (gaussian[0] * scale, gaussian[1] * scale)
        laplace = (laplace[0] * scale, laplace[1] * scale)
        ax_h = fig.add_subplot(grid[i + 1, 0])
        ax_q = fig.add_subplot(grid[i + 1, 1])
        handles, edges = _draw_histogram(ax_h, u, gaussian, laplace, bins)
        ax_h.set_title("step %d, d = %d" % (step, u.size), loc="left")
        _draw_qq(ax_q, u, gaussian, laplace, edges)
        if i == rows // 2:
            ax_h.set_ylabel("probability density")
            ax_q.set_ylabel("sample quantile" + unit)
        if i == rows - 1:
            ax_h.set_xlabel("u" + unit + ", " + kind + " of " + _short(tensor, 22))
            ax_q.set_xlabel("fitted quantile")
    _finish_legend(fig, grid, legend_ax, handles, ["data", "Gaussian fit", "Laplace fit"])
    if title:
        fig.suptitle(title)
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
    return [h_data, h_gauss, h_lap], edges


def _draw_qq(ax, u, gaussian, laplace, edges):
    """Q-Q plot of u against both fits, with the diagonal, framed to the
    sample and the histogram's range."""
    p = qq_probabilities(u.size, points=90)
    sample = np.quantile(u, p)
    ax.plot(gaussian_quantile(p, *gaussian), sample, "o", color=FAMILY_COLORS["gaussian"], markersize=1.6)
    ax.plot(laplace_quantile(p, *laplace), sample, "s", color=FAMILY_COLORS["laplace"], markersize=1.4)
    lim = [min(sample.min(), edges[0]), max(sample.max(), edges[-1])]
    ax.plot(lim, lim, color="#999999", linewidth=0.6, zorder=0)
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(3))
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
