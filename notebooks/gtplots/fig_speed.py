"""Figure 5, speed: selection time against d for each selector (inputs:
readers.read_timing)."""

import textwrap

import numpy as np

from .layout import _finish_legend, _fmt_density, _new_figure, save_figure
from .readers import _str_column
from .style import FLOOR_LABEL, FLOOR_STYLE, apply_style, method_label, method_sort_key, method_style

__all__ = ["figure_speed"]


def figure_speed(table, stem=None, title=None, source=None):
    """Figure 5: time of one selection against d (log-log), one line per
    selector, with the time one read of the d float32 values takes at the
    measured memory-copy speed (no selection can be faster) when the table
    has `floor_seconds`. table: Table with columns
    selector | method, d, seconds | time_s | median_s (density optional:
    one panel per density)."""
    apply_style()
    selectors = _str_column(table, "selector", "?") if "selector" in table.columns else \
        _str_column(table, "method", "?")
    d = table.find("d")
    seconds = table.find("seconds", "time_s", "median_s")
    density = table.columns.get("density")
    if density is not None and not np.isfinite(density).any():
        density = None
    rhos = sorted(set(density[np.isfinite(density)].tolist())) if density is not None else [None]
    source = source or getattr(table, "title", "")
    fig, grid, legend_ax = _new_figure([1.8], len(rhos))
    handles = {}
    first = None
    for c, rho in enumerate(rhos):
        ax = fig.add_subplot(grid[0, c], sharey=first)
        first = first or ax
        for sel in sorted(set(selectors), key=method_sort_key):
            mask = selectors == sel
            if rho is not None:
                mask &= density == rho
            if not mask.any():
                continue
            order = np.argsort(d[mask])
            handles[sel] = ax.plot(d[mask][order], 1e3 * seconds[mask][order], **method_style(sel))[0]
        floor = table.columns.get("floor_seconds")
        if floor is not None:
            mask = np.isfinite(floor) & ((density == rho) if rho is not None else True)
            xs = np.unique(d[mask])
            ys = [np.nanmedian(floor[mask][d[mask] == x]) for x in xs]
            handles["~floor"] = ax.plot(xs, 1e3 * np.asarray(ys), **FLOOR_STYLE)[0]
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("vector length d")
        if c == 0:
            ax.set_ylabel("time per selection (ms)")
        else:
            ax.tick_params(labelleft=False)
        if rho is not None:
            ax.set_title("k/d = %s" % _fmt_density(rho), loc="left")
    keys = sorted((k for k in handles if k != "~floor"), key=method_sort_key) + \
        (["~floor"] if "~floor" in handles else [])
    labels = [method_label(k) if k != "~floor" else FLOOR_LABEL for k in keys]
    _finish_legend(fig, grid, legend_ax, [handles[k] for k in keys], labels)
    if title or source:
        fig.suptitle(textwrap.fill(title or source, 64), fontsize=7)
    return save_figure(fig, stem) if stem else fig
