"""Figure 6, every step: r_k, or the share delta_emp = 1 - r_k of ||u||^2
that Top_k keeps, at every captured step, next to what the bounds promise
(docs/THEORY.md s.2): delta_tight = (2kd - k^2)/d^2 = 1 - (1-k/d)^2 and the
loose delta = k/d (the share a random k of d would keep on average).

Input: a results table with one row per (file, step, tensor, kind,
density), as `gradtap bounds` writes it once it reads summaries, or as
summaries.every_step_table builds it from a snapshot file. Columns (found
by name; extra columns are ignored):

  rank, kind      optional filters (as in every bounds figure)
  step            training step (x axis)
  tensor          tensor name; "(global)" for whole-model rows
  d, k            size and k of the row
  density         the density asked for (optional: nice_density(k, d))
  ratio           r_k = ||u - Top_k(u)||^2 / ||u||^2
  delta_emp       1 - r_k (optional: computed from ratio)
  delta_tight     1 - (1-k/d)^2 (optional: computed from k, d)
  bound_loose, bound_tight   1-k/d, (1-k/d)^2 (optional: from k, d)
  status          optional: only `ok` rows are drawn
  file            optional: splits the rows into runs (readers.run_label)
  source          `snapshot` or `summary` (optional: all `snapshot`); where
                  a step has both, the snapshot row comes first

Rows of every step are drawn as a line, snapshot steps as markers on it.
"""

import matplotlib
import numpy as np

from .fig_bounds import choose_tensors
from .layout import (_capital, _finish_legend, _fmt_density, _logit_limits, _new_figure, _side_label, save_figure,
                     tensor_label)
from .readers import _rows_of, _str_column
from .style import (COLUMN_WIDTH_IN, LOOSE_STYLE, TIGHT_STYLE, apply_style, kind_label, method_label,
                    method_sort_key, method_style)
from .theory import _densities, bound_loose, bound_tight, delta_tight

__all__ = ["STEP_QUANTITIES", "figure_steps", "step_series"]

# quantity -> (column, tight column, loose column, y label)
STEP_QUANTITIES = {
    "delta": ("delta_emp", "delta_tight", "k_over_d", "$\\delta = 1 - r_k$ (share of $\\Vert u\\Vert^2$ kept)"),
    "ratio": ("ratio", "bound_tight", "bound_loose", "$r_k$ (logit scale)"),
}
_REFERENCE_LABELS = {
    "delta": ("tight $\\delta$ = 1 \u2212 (1 \u2212 k/d)$^2$", "loose $\\delta$ = k/d"),
    "ratio": ("tight (1 \u2212 k/d)$^2$", "loose 1 \u2212 k/d"),
}


def _column(table, name):
    """A column of the every-step table, computed from k, d and ratio
    when the table lacks it."""
    if name in table.columns:
        return np.asarray(table.columns[name], dtype=float)
    k, d = table.find("k"), table.find("d")
    derived = {"delta_emp": lambda: 1.0 - table.find("ratio"), "delta_tight": lambda: delta_tight(k, d),
               "k_over_d": lambda: k / d, "bound_loose": lambda: bound_loose(k, d),
               "bound_tight": lambda: bound_tight(k, d)}
    return np.asarray(derived[name](), dtype=float)


def step_series(table, tensor, density, quantity="delta"):
    """(steps, values, snapshot mask, tight, loose) of one tensor and
    density, one entry per step in step order: the first row of a step
    (its snapshot row when it has one) gives the value; the mask says which
    steps have a snapshot."""
    column, tight_name, loose_name, _ = STEP_QUANTITIES[quantity]
    mask = (_str_column(table, "tensor", "model") == tensor) & np.isclose(_densities(table), density)
    if "status" in table.columns:
        mask &= _str_column(table, "status", "ok") == "ok"
    rows = table.select(mask)
    source = _str_column(rows, "source", "snapshot")
    order = np.lexsort((source != "snapshot", rows.find("step")))  # by step, a snapshot row first
    rows, source = rows.select(order), source[order]
    steps = rows.find("step")
    snapshot_steps = set(steps[source == "snapshot"].tolist())
    unique, first = np.unique(steps, return_index=True)
    values, tight, loose = (_column(rows, n)[first] for n in (column, tight_name, loose_name))
    marked = np.array([s in snapshot_steps for s in unique], dtype=bool)
    return unique, values, marked, tight, loose


def figure_steps(tables, quantity="delta", kind="acc", rank=0, tensors=None, densities=None, limit=3, stem=None,
                 title=None):
    """Figure 6: one row per tensor (the whole model and the largest
    layers, `limit` in all, unless `tensors` names them) and one column
    per density; in each panel, per run, delta_emp (quantity "delta", log
    axis) or r_k ("ratio", logit axis) at every step as a line with the
    snapshot steps as markers, next to the tight and the loose reference
    (dotted, dashed). A line above the dotted one (delta) or below it
    (ratio) keeps more than the tight bound promises.

    tables: [(run, Table)] (readers.load_runs, or [("run", every_step_table(...))])."""
    apply_style()
    if quantity not in STEP_QUANTITIES:
        raise ValueError("quantity must be one of %s" % ", ".join(STEP_QUANTITIES))
    tables = [(m, t) for m, t in ((m, _rows_of(t, kind, rank)) for m, t in tables) if len(t)]
    if not tables:
        raise ValueError("no every-step rows of kind %s, rank %d" % (kind, rank))
    tensors = tensors or choose_tensors(tables[0][1], limit)
    densities = densities or sorted({float(x) for _, t in tables
                                     for x in _densities(t)[np.isin(_str_column(t, "tensor", "model"), tensors)]})
    fig, grid, legend_ax = _new_figure([0.95] * len(tensors), len(densities),
                                       width=max(COLUMN_WIDTH_IN, 1.15 * len(densities) + 0.5))
    handles = {}
    first = None
    for r, tensor in enumerate(tensors):
        for c, rho in enumerate(densities):
            ax = fig.add_subplot(grid[r, c], sharex=first)
            first = first or ax
            _draw_step_panel(ax, tables, tensor, rho, quantity, handles)
            if r == 0:
                ax.set_title("$\\rho$ = %s" % _fmt_density(rho))
            if c == 0:
                ax.set_ylabel(tensor_label(tensor, tensors, width=14))
            if r == len(tensors) - 1:
                ax.set_xlabel("step")
            else:
                ax.tick_params(labelbottom=False)
    order = sorted((k for k in handles if not k.startswith("~")), key=method_sort_key) + \
        ["~snapshot", "~tight", "~loose"]
    _finish_legend(fig, grid, legend_ax, [handles[k][0] for k in order if k in handles],
                   [handles[k][1] for k in order if k in handles], max_cols=4)
    _side_label(fig, STEP_QUANTITIES[quantity][3], 0.95 * len(tensors))
    fig.suptitle(title or "%s, every step" % _capital(kind_label(kind)), fontsize=matplotlib.rcParams["axes.titlesize"])
    return save_figure(fig, stem) if stem else fig


def _draw_step_panel(ax, tables, tensor, rho, quantity, handles):
    """One panel: every run's line and snapshot markers, both references,
    the y scale of the quantity; legend entries go into `handles`."""
    tight_label, loose_label = _REFERENCE_LABELS[quantity]
    values_seen = []
    for method, table in tables:
        steps, values, marked, tight, loose = step_series(table, tensor, rho, quantity)
        if steps.size == 0:
            continue
        style = method_style(method)
        style["linewidth"] = 0.7 * style.get("linewidth", 1.0)  # a line per step is busier than one per snapshot
        line = ax.plot(steps, values, **dict(style, marker="None"))[0]
        ax.plot(steps[marked], values[marked], linestyle="None", **{k: v for k, v in style.items()
                                                                   if k.startswith("marker") or k == "color"})
        handles[method] = (line, method_label(method))
        handles["~tight"] = (ax.plot(steps, tight, **TIGHT_STYLE)[0], tight_label)
        handles["~loose"] = (ax.plot(steps, loose, **LOOSE_STYLE)[0], loose_label)
        values_seen.extend(np.concatenate([values, tight, loose]).tolist())
    if not values_seen:
        ax.text(0.5, 0.5, "no rows", transform=ax.transAxes, ha="center", va="center", color="#777777")
        ax.set_yticks([])
    if "~snapshot" not in handles:
        handles["~snapshot"] = (matplotlib.lines.Line2D([], [], linestyle="None", marker="o", markersize=3.2,
                                                        markerfacecolor="none", color="#555555"), "snapshot step")
    seen = np.asarray(values_seen, dtype=float)
    seen = seen[np.isfinite(seen) & (seen > 0) & (seen < 1)]
    if quantity == "delta":
        ax.set_yscale("log")
        span = np.log10(seen.max() / seen.min()) if seen.size else 2.0
        if span < 0.6:  # less than a factor 4: a log locator finds < 2 ticks and falls back to crowded ones
            ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(3))
        else:  # 1-2-5 steps when narrow, else decades
            ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0) if span < 1.5 else (1.0,),
                                                                    numticks=5))
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: "%g" % v))
        ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    elif seen.size:
        _logit_limits(ax, seen.min(), seen.max())
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(3, integer=True))
