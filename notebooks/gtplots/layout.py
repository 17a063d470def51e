"""Figure scaffolding shared by every family: a grid with a legend row on
top, the legend sized to the width, saving PDF + PNG, the layout check, and
small axis/label helpers."""

import math
import os
import sys

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker  # noqa: F401  (matplotlib.ticker.* below)

from .style import COLUMN_WIDTH_IN

__all__ = ["save_figure", "layout_problems"]


def save_figure(fig, stem, check=True):
    """Write `stem`.pdf (vector) and `stem`.png; returns both paths.
    The PDF carries no creation date, so the same data gives the same file.
    With `check`, text that overlaps or leaves the figure (layout_problems)
    is reported as a warning on stderr."""
    if check:
        for problem in layout_problems(fig):
            print("gradtap_plots: warning: %s: %s" % (os.path.basename(stem), problem), file=sys.stderr)
    directory = os.path.dirname(stem)
    if directory:
        os.makedirs(directory, exist_ok=True)
    pdf, png = stem + ".pdf", stem + ".png"
    fig.savefig(pdf, metadata={"CreationDate": None, "Creator": "gradtap_plots"})
    fig.savefig(png)
    plt.close(fig)
    return [pdf, png]


def _new_figure(rows_in, ncols=1, width=COLUMN_WIDTH_IN, margin_in=0.45, **grid_kw):
    """A figure with a legend row on top and panel rows of the given heights
    (inches). Returns (fig, grid, legend axes); grid row 0 is the legend,
    panels start at row 1. _finish_legend() sizes the legend row."""
    legend_in = 0.2
    fig = plt.figure(figsize=(width, legend_in + sum(rows_in) + margin_in))
    grid = fig.add_gridspec(len(rows_in) + 1, ncols, height_ratios=[legend_in] + list(rows_in), **grid_kw)
    legend_ax = fig.add_subplot(grid[0, :])
    legend_ax.axis("off")
    return fig, grid, legend_ax


def _finish_legend(fig, grid, legend_ax, handles, labels, max_cols=4):
    """Put the legend in its row with as many columns as fit the width
    (estimated from the label lengths at the legend font size) and grow the
    row, and the figure, to the rows it needs."""
    size = matplotlib.rcParams["legend.fontsize"]
    size = size if isinstance(size, (int, float)) else 7.0
    longest = max((len(l) for l in labels), default=1)
    column_in = (0.52 * size / 72.0) * longest + 0.45  # text + handle + spacing
    ncol = max(1, min(max_cols, len(labels), int(fig.get_figwidth() // column_in)))
    rows = -(-len(labels) // ncol)
    needed = 0.155 * rows + 0.04
    ratios = list(grid.get_height_ratios())
    fig.set_figheight(fig.get_figheight() + needed - ratios[0])
    ratios[0] = needed
    grid.set_height_ratios(ratios)
    legend_ax.legend(handles, labels, loc="center", ncol=ncol, borderaxespad=0.0, columnspacing=1.0)


def layout_problems(fig, tolerance_px=1.0):
    """Text that overlaps other text or sticks out of the figure, as a list
    of messages (empty: the layout is clean). Checks tick labels that are
    drawn, axis labels, titles, legend entries and the suptitle; used by the
    tests on every figure, and handy after changing a figure by hand."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = []

    def add(artist, what):
        if artist is not None and artist.get_visible() and artist.get_text().strip():
            texts.append((what + " '" + artist.get_text() + "'", artist.get_window_extent(renderer)))

    for n, ax in enumerate(fig.axes):
        if ax.axison:
            for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
                lo, hi = sorted(axis.get_view_interval())
                for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                    location = tick.get_loc()
                    if location is not None and lo - 1e-12 * abs(hi - lo) <= location <= hi + 1e-12 * abs(hi - lo):
                        for label in (tick.label1, tick.label2):
                            if label.get_visible():
                                add(label, "axes %d %s tick" % (n, name))
                add(axis.label, "axes %d %s label" % (n, name))
                add(axis.get_offset_text(), "axes %d %s offset" % (n, name))
        for loc in ("left", "center", "right"):
            title = {"left": ax._left_title, "center": ax.title, "right": ax._right_title}[loc]
            add(title, "axes %d title" % n)
        legend = ax.get_legend()
        if legend is not None:
            for text in legend.get_texts():
                add(text, "legend")
    if fig._suptitle is not None:
        add(fig._suptitle, "suptitle")
    problems = []
    frame = fig.bbox
    for what, box in texts:
        if (box.x0 < frame.x0 - tolerance_px or box.y0 < frame.y0 - tolerance_px
                or box.x1 > frame.x1 + tolerance_px or box.y1 > frame.y1 + tolerance_px):
            problems.append("%s sticks out of the figure" % what)
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            a, b = texts[i][1], texts[j][1]
            if (min(a.x1, b.x1) - max(a.x0, b.x0) > tolerance_px
                    and min(a.y1, b.y1) - max(a.y0, b.y0) > tolerance_px):
                problems.append("%s overlaps %s" % (texts[i][0], texts[j][0]))
    return problems



def _fmt_density(rho):
    """A density as a short label: 0.001, 0.25, 5e-05."""
    return ("%.4g" % rho).rstrip("0").rstrip(".") if rho >= 1e-4 else "%.0e" % rho


def _short(name, width=18):
    """`name`, its head cut to `width` characters ("...tail")."""
    return name if len(name) <= width else "..." + name[-(width - 3):]


def _logit_limits(ax, low, high):
    """Logit y axis framing [low, high] with a margin in logit units, ticks at
    0.5, 0.9, 0.99, ... (and 0.1, 0.01, ...) labelled as plain decimals."""
    def logit(x):
        return math.log(x / (1.0 - x))

    low = min(max(low, 1e-6), 1 - 1e-7)
    high = min(max(high, low * 1.0000001), 1 - 1e-7)
    a, b = logit(low), logit(high)
    pad = 0.15 * max(b - a, 0.5)
    ax.set_yscale("logit")
    lo, hi = 1 / (1 + math.exp(-(a - pad))), 1 / (1 + math.exp(-(b + pad)))
    ax.set_ylim(lo, hi)
    ticks = [t for t in ([10.0 ** -n for n in range(6, 0, -1)] + [0.5] + [1 - 10.0 ** -n for n in range(1, 7)])
             if lo <= t <= hi]
    if len(ticks) < 2:
        ticks = [lo + (hi - lo) * f for f in (0.2, 0.8)]
    ax.yaxis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: "%.6g" % v))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
