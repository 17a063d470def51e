"""Figure 2, bounds: r_k against step next to 1-k/d and (1-k/d)^2, per
density and per layer."""

import numpy as np

import matplotlib

from .layout import (_capital, _finish_legend, _fmt_density, _logit_limits, _new_figure, _side_label, save_figure,
                     tensor_label)
from .readers import _rows_of, _str_column, snapshot_rows
from .style import (COLUMN_WIDTH_IN, LOOSE_LABEL, LOOSE_STYLE, TIGHT_LABEL, TIGHT_STYLE, apply_style, kind_label,
                    method_label, method_sort_key, method_style)
from .theory import _densities

__all__ = ["choose_tensors", "figure_bounds"]


def choose_tensors(table, limit=3):
    """Up to `limit` tensors of a bounds table, largest d first (a global /
    whole-model row counts as the largest)."""
    tensors = _str_column(table, "tensor", "model")
    d = table.find("d")
    sizes = {}
    for name, size in zip(tensors, d):
        sizes[name] = max(sizes.get(name, 0), size)
    return sorted(sizes, key=lambda n: (-sizes[n], n))[:limit]


def figure_bounds(tables, kind="acc", rank=0, tensors=None, densities=None, stem=None, title=None):
    """Figure 2: r_k = ||u - Top_k(u)||^2 / ||u||^2 against step, one row per
    density and one column per layer, one line per method, next to the loose
    bound 1-k/d and the tight bound (1-k/d)^2 (docs/THEORY.md s.2). The y axis is
    a logit scale so that r_k near 1 at small densities stays readable; a
    point below a bound line satisfies that bound.

    tables: [(method, Table of `gradtap bounds --format csv`)]; kind and rank
    select rows (when the table has those columns); tensors: names (default
    the 3 largest); densities: values (default every density present)."""
    apply_style()
    tables = [(m, snapshot_rows(_rows_of(t, kind, rank))) for m, t in tables]  # every step: fig_steps
    tables = [(m, t) for m, t in tables if len(t)]
    if not tables:
        raise ValueError("no bounds rows of kind %s, rank %d" % (kind, rank))
    tensors = tensors or choose_tensors(tables[0][1])
    if densities is None:
        densities = sorted({float(x) for _, t in tables
                            for x in _densities(t)[np.isin(_str_column(t, "tensor", "model"), tensors)]})
    nrows, ncols = len(densities), len(tensors)
    fig, grid, legend_ax = _new_figure([0.95] * nrows, ncols, width=COLUMN_WIDTH_IN if ncols <= 3 else 1.9 * ncols)
    handles, labels = {}, {}
    first = None
    for r, rho in enumerate(densities):
        row_axes, low, high = [], 1.0, 0.0
        for c, tensor in enumerate(tensors):
            ax = fig.add_subplot(grid[r, c], sharex=first, sharey=row_axes[0] if row_axes else None)
            first = first or ax
            row_axes.append(ax)
            for method, table in tables:
                mask = (_str_column(table, "tensor", "model") == tensor) & np.isclose(_densities(table), rho)
                if not mask.any():
                    continue
                step = table.find("step")[mask]
                order = np.argsort(step)
                ratio = table.find("ratio")[mask][order]
                loose = table.find("bound_loose")[mask][order]
                tight = table.find("bound_tight")[mask][order]
                line = ax.plot(step[order], ratio, **method_style(method))[0]
                handles[method], labels[method] = line, method_label(method)
                hl = ax.plot(step[order], loose, **LOOSE_STYLE)[0]
                ht = ax.plot(step[order], tight, **TIGHT_STYLE)[0]
                handles["~loose"], labels["~loose"] = hl, LOOSE_LABEL
                handles["~tight"], labels["~tight"] = ht, TIGHT_LABEL
                for values in (ratio, loose, tight):
                    inside = values[np.isfinite(values) & (values > 0) & (values < 1)]
                    if inside.size:
                        low, high = min(low, inside.min()), max(high, inside.max())
            if r == 0:
                ax.set_title(tensor_label(tensor, tensors, width=13 if ncols >= 3 else 20), loc="center", fontsize=7)
            if c == 0:
                ax.set_ylabel("$\\rho$ = %s" % _fmt_density(rho))
            else:
                ax.tick_params(labelleft=False)
            if r == nrows - 1:
                ax.set_xlabel("step")
            else:
                ax.tick_params(labelbottom=False)
        if high > low:
            _logit_limits(row_axes[0], low, high)
    order = sorted((k for k in handles if not k.startswith("~")), key=method_sort_key) + ["~loose", "~tight"]
    _finish_legend(fig, grid, legend_ax, [handles[k] for k in order if k in handles],
                   [labels[k] for k in order if k in labels], max_cols=4)
    _side_label(fig, "$r_k$ (logit scale)", 0.95 * nrows)
    fig.suptitle(title or _capital(kind_label(kind)), fontsize=matplotlib.rcParams["axes.titlesize"])
    return save_figure(fig, stem) if stem else fig
