"""Figure scaffolding shared by every family: a grid with a legend row
below the panels, the legend sized to the width, saving PDF + PNG, the layout check, and
small axis/label helpers."""

import contextlib
import math
import os
import re
import sys

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.text
import matplotlib.ticker  # noqa: F401  (matplotlib.ticker.* below)

from .style import COLUMN_WIDTH_IN, WHOLE_MODEL

__all__ = ["save_figure", "layout_problems", "drawn_texts", "tensor_label"]


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
    """A figure with panel rows of the given heights (inches) and a legend
    row below them. Returns (fig, grid, legend axes); panels are grid rows
    0 .. len(rows_in)-1, the legend is the last row. _finish_legend() sizes
    the legend row."""
    legend_in = 0.2
    fig = plt.figure(figsize=(width, legend_in + sum(rows_in) + margin_in))
    grid = fig.add_gridspec(len(rows_in) + 1, ncols, height_ratios=list(rows_in) + [legend_in], **grid_kw)
    legend_ax = fig.add_subplot(grid[-1, :])
    legend_ax.axis("off")
    return fig, grid, legend_ax


def _row_major(items, ncol):
    """`items` reordered so that matplotlib's column-by-column legend reads
    left to right, then top to bottom, in the given order."""
    rows = -(-len(items) // ncol)
    full = len(items) % ncol or ncol  # columns with a last-row entry
    return [items[r * ncol + c] for c in range(ncol) for r in range(rows if c < full else rows - 1)]


def _finish_legend(fig, grid, legend_ax, handles, labels, max_cols=6):
    """Put the legend in its row below the panels with as many columns as
    fit the width (measured with the renderer), entries read row by row in
    the given order, and size the row, and the figure, to what it needs."""
    renderer = fig.canvas.get_renderer()
    usable_px = (fig.get_figwidth() - 0.08) * fig.dpi
    legend, laid_out = None, False
    for ncol in range(max(1, min(max_cols, len(labels))), 0, -1):
        if legend is not None:
            legend.remove()
        legend = legend_ax.legend(_row_major(handles, ncol), _row_major(labels, ncol), loc="center", ncol=ncol)
        if legend.get_window_extent(renderer).width > usable_px:
            continue
        fig.canvas.draw()  # lay out: the legend row may start right of a left label
        laid_out = True
        boxes = [legend.get_window_extent(renderer)] + [t.get_window_extent(renderer) for t in legend.get_texts()]
        if ncol == 1 or all(b.x0 >= fig.bbox.x0 + 2 and b.x1 <= fig.bbox.x1 - 2 for b in boxes):
            break
    if not laid_out:
        fig.canvas.draw()
    needed = legend.get_window_extent(renderer).height / fig.dpi + 0.03
    ratios = list(grid.get_height_ratios())
    fig.set_figheight(fig.get_figheight() + needed - ratios[-1])
    ratios[-1] = needed
    grid.set_height_ratios(ratios)
    return legend


@contextlib.contextmanager
def _recording_texts(drawn):
    """Within the block, every Text artist that draws itself (with text)
    is appended to `drawn`: exactly the text the renderer puts on the
    canvas, of any kind (titles, labels, tick labels, offsets, legend
    entries, suptitles, annotations)."""
    original = matplotlib.text.Text.draw

    def draw(self, renderer):
        result = original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
        return result

    matplotlib.text.Text.draw = draw
    try:
        yield
    finally:
        matplotlib.text.Text.draw = original


def drawn_texts(fig):
    """[(text, window extent in pixels)] of every text drawn on the canvas."""
    drawn = []
    with _recording_texts(drawn):
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    unique = list({id(t): t for t in drawn}.values())
    return [(t.get_text(), t.get_window_extent(renderer)) for t in unique]


def layout_problems(fig, tolerance_px=1.0):
    """Text that overlaps other text or sticks out of the figure, as a list
    of messages (empty: the layout is clean). Every text the renderer draws
    is checked (drawn_texts); used by the tests on every figure, and handy
    after changing a figure by hand."""
    texts = drawn_texts(fig)
    problems = []
    frame = fig.bbox
    for text, box in texts:
        if (box.x0 < frame.x0 - tolerance_px or box.y0 < frame.y0 - tolerance_px
                or box.x1 > frame.x1 + tolerance_px or box.y1 > frame.y1 + tolerance_px):
            problems.append("%r sticks out of the figure" % text)
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            a, b = texts[i][1], texts[j][1]
            if (min(a.x1, b.x1) - max(a.x0, b.x0) > tolerance_px
                    and min(a.y1, b.y1) - max(a.y0, b.y0) > tolerance_px):
                problems.append("%r overlaps %r" % (texts[i][0], texts[j][0]))
    return problems


def _visible_length(text):
    """Characters `text` shows once its mathtext is rendered (about)."""
    return len(re.sub(r"\\[A-Za-z]+", "x", text).replace("$", "").replace("^", "").replace("_", ""))


def _side_label(fig, text, panels_in):
    """A y label for all panel rows (fig.supylabel), broken at the space
    outside mathtext nearest its middle when longer than the `panels_in`
    inches of panel height hold at the label font size."""
    size = matplotlib.rcParams["axes.labelsize"]
    size = size if isinstance(size, (int, float)) else 8.0
    if _visible_length(text) > panels_in * 72.0 / (0.56 * size):
        spaces = [i for i, c in enumerate(text) if c == " " and text[:i].count("$") % 2 == 0]
        if spaces:
            at = min(spaces, key=lambda i: abs(i - len(text) / 2))
            text = text[:at] + "\n" + text[at + 1:]
    return fig.supylabel(text, fontsize=size)


def _capital(text):
    """`text` with its first letter upper case ("accumulated u" -> "Accumulated u")."""
    return text[:1].upper() + text[1:]


def _fmt_density(rho):
    """A density as a short label: 0.001, 0.25, 5e-05."""
    return ("%.4g" % rho).rstrip("0").rstrip(".") if rho >= 1e-4 else "%.0e" % rho


def _short(name, width=18):
    """`name`, its head cut to `width` characters ("...tail")."""
    return name if len(name) <= width else "..." + name[-(width - 3):]


def _common_head(names):
    """The dotted components every name starts with ("model.encoder.")."""
    split = [n.split(".") for n in names]
    head = []
    for parts in zip(*[p[:-1] for p in split]):
        if len(set(parts)) != 1:
            break
        head.append(parts[0])
    return ".".join(head) + "." if head else ""


def tensor_label(name, shown=(), width=18, lines=2):
    """A tensor name for a title: the whole-model rows as "whole model";
    a long name without the dotted head it shares with the other `shown`
    names, wrapped at dots from its end into at most `lines` lines of at
    most `width` characters, its head cut ("\u2026") where it does not fit,
    so that the distinguishing end (layer, weight or bias) stays."""
    if name == WHOLE_MODEL:
        return "whole model"
    others = [n for n in shown if n != WHOLE_MODEL]
    if len(name) > width and len(others) > 1 and name in others:
        head = _common_head(others)
        name = name[len(head):] if head and len(name) > len(head) else name
    if len(name) <= width:
        return name
    pieces = name.replace(".", ".\0").split("\0")
    rows, current = [], ""
    while pieces:
        if current and len(pieces[-1]) + len(current) > width - (1 if len(rows) == lines - 1 else 0):
            rows.insert(0, current)
            current = ""
            if len(rows) == lines:
                break
        current = pieces.pop() + current
    if current and len(rows) < lines:
        rows.insert(0, current)
    rows = [r if len(r) <= width else "\u2026" + r[-(width - 1):] for r in rows]
    if pieces and not rows[0].startswith("\u2026"):
        rows[0] = "\u2026" + rows[0]
    return "\n".join(rows)


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
    decades = [10.0 ** -n for n in range(6, 0, -1)] + [0.5] + [1 - 10.0 ** -n for n in range(1, 7)]
    between = [m * 10.0 ** -n for n in range(6, 0, -1) for m in (2, 5)] + [0.3, 0.7] + \
        [1 - m * 10.0 ** -n for n in range(1, 7) for m in (5, 2)]
    ticks = [t for t in decades if lo <= t <= hi]
    if len(ticks) < 2:  # a narrow range: the 2-5 steps between the decades too
        ticks = sorted(t for t in decades + between if lo <= t <= hi)
    if len(ticks) < 2:
        ticks = [float("%.2g" % (lo + (hi - lo) * f)) for f in (0.2, 0.8)]
    ax.yaxis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: "%.6g" % v))
    ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())  # logit minor ticks crowd near 0 and 1
