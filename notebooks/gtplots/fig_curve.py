"""Figure 3, curve: r_k against k/d with both bounds and the ratios
predicted by a Gaussian and a Laplace distribution."""

import math

import numpy as np

from .fig_bounds import choose_tensors
from .layout import _finish_legend, _new_figure, save_figure, tensor_label
from .readers import _rows_of, _str_column
from .style import (FAMILY_COLORS, LOOSE_LABEL, LOOSE_STYLE, TIGHT_LABEL, TIGHT_STYLE, apply_style, kind_label,
                    method_label, method_sort_key, method_style)
from .theory import bound_loose, bound_tight, predicted_ratio_gaussian, predicted_ratio_laplace

__all__ = ["figure_curve"]


def figure_curve(tables, kind="acc", rank=0, tensor=None, step=None, stem=None, title=None):
    """Figure 3: r_k against k/d (log axis) for one snapshot per method, with
    the loose bound 1-k/d, the tight bound (1-k/d)^2 and the ratios a Gaussian
    and a Laplace vector would give (docs/THEORY.md s.7; scale-free, so they
    depend on k/d only).

    tables: [(method, Table of `gradtap curve --format csv`)] with columns
    step, tensor, d, k, ratio (rank, kind used when present); tensor: default
    the largest; step: default each table's last step."""
    apply_style()
    fig, grid, legend_ax = _new_figure([1.9])
    ax = fig.add_subplot(grid[0, 0])
    handles, labels = [], []
    lowest = 1.0
    shown = []
    for method, table in sorted(tables, key=lambda mt: method_sort_key(mt[0])):
        table = _rows_of(table, kind, rank)
        if not len(table):
            continue
        name = tensor or choose_tensors(table, 1)[0]
        rows = table.select(_str_column(table, "tensor", "model") == name)
        steps = rows.find("step")
        at = steps.max() if step is None else step
        rows = rows.select(steps == at)
        if not len(rows):
            continue
        x = rows.find("k") / rows.find("d")
        order = np.argsort(x)
        y = rows.find("ratio")[order]
        # Sparse markers, shifted per run, keep curves that coincide apart.
        spacing = max(1, len(order) // 12)
        handles.append(ax.plot(x[order], y, markevery=(len(handles) * spacing // 4 % spacing, spacing),
                               **method_style(method))[0])
        labels.append(method_label(method))
        lowest = min(lowest, x.min())
        shown.append("%s, step %d" % (tensor_label(name, width=28, lines=1), at))
    if not handles:
        raise ValueError("no curve rows of kind %s, rank %d" % (kind, rank))
    rho = np.logspace(math.log10(lowest), 0, 300)
    handles.append(ax.plot(rho, bound_loose(rho), **LOOSE_STYLE)[0])
    labels.append(LOOSE_LABEL)
    handles.append(ax.plot(rho, bound_tight(rho), **TIGHT_STYLE)[0])
    labels.append(TIGHT_LABEL)
    handles.append(ax.plot(rho, [predicted_ratio_gaussian(v) for v in rho], color=FAMILY_COLORS["gaussian"],
                           linestyle="-.", linewidth=0.9)[0])
    labels.append("i.i.d. Gaussian")
    handles.append(ax.plot(rho, [predicted_ratio_laplace(v) for v in rho], color=FAMILY_COLORS["laplace"],
                           linestyle=(0, (5, 1.5)), linewidth=0.9)[0])
    labels.append("i.i.d. Laplace")
    ax.set_xscale("log")
    ax.set_xlim(lowest, 1.0)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("density k/d")
    ax.set_ylabel("$r_k = \\Vert u - \\mathrm{Top}_k(u)\\Vert^2 / \\Vert u\\Vert^2$")
    if len(set(shown)) == 1:
        ax.set_title("%s: %s" % (shown[0], kind_label(kind)), loc="left")
    _finish_legend(fig, grid, legend_ax, handles, labels, max_cols=3)
    if title:
        fig.suptitle(title)
    return save_figure(fig, stem) if stem else fig
