"""gradtap_plots - the one plotting module behind `gradtap demo` and the notebooks.

Both the demo and the notebooks draw their figures here, so a figure from a
user's own run looks exactly like the demo's. Every figure is sized for one
column of a two-column paper (3.4 in wide, 7-8 pt text), uses the same colour
for the same method everywhere, is laid out with constrained_layout (no text
overlaps) and is written twice: vector PDF and a 300 dpi PNG.

Figure families (ALGORITHMS.md sections are cited where a formula is used):
  1. distribution  histograms of u at chosen steps with the fitted Gaussian
                   and Laplace densities, and Q-Q plots against both fits;
  2. bounds        r_k against step next to 1-k/d and (1-k/d)^2, per density
                   and per layer (ALGORITHMS.md 2);
  3. curve         r_k against k/d with both bounds and the ratios predicted
                   by a Gaussian and a Laplace distribution (ALGORITHMS.md 2);
  4. convergence   loss and accuracy against epochs and bits communicated;
  5. speed         selection time against d for each selector.

Inputs are gradtap's own outputs: snapshot files (docs/FORMAT.md), the CSV
tables of `gradtap bounds|fit|curve|converge --format csv` and a timing CSV
(`selector,d,k,seconds`). CSV columns are found by name, so extra columns
are ignored. Command line (the demo calls this):

    python3 gradtap_plots.py all --demo DIR         # every figure whose inputs DIR has
    python3 gradtap_plots.py bounds --csv topk=b.csv --out fig/bounds
    python3 -m gradtap_plots --help                 # with notebooks/ on sys.path
"""

import argparse
import csv
import glob
import math
import os
import re
import statistics
import sys
import textwrap

import matplotlib

if "ipykernel" not in sys.modules and "IPython" not in sys.modules:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

# --------------------------------------------------------------------------
# Style: one place for sizes, fonts and colours
# --------------------------------------------------------------------------

COLUMN_WIDTH_IN = 3.4
STYLE = {
    "font.size": 8,
    "axes.labelsize": 8,
    "axes.titlesize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "lines.linewidth": 1.0,
    "lines.markersize": 3,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "legend.handlelength": 1.8,
    "figure.dpi": 150,
    "savefig.dpi": 300,
    "pdf.fonttype": 42,  # TrueType in the PDF: editable, accepted by publishers
    "ps.fonttype": 42,
    "figure.constrained_layout.use": True,
}

# Okabe-Ito colours, one per method in every figure.
METHOD_COLORS = {
    "dense": "#000000",
    "none": "#000000",
    "topk": "#0072B2",
    "topk-nomem": "#56B4E9",
    "gaussiank": "#E69F00",
    "gaussiank-ref": "#F0E442",
    "randk": "#009E73",
    "randk-unbiased": "#009E73",
    "dgck": "#D55E00",
    "trimmed": "#CC79A7",
    "redsync": "#8C6D31",
    "threshold": "#7F7F7F",
    "sign": "#B0B0B0",
    "gaussiank-exact": "#6A3D9A",
    "full-sort": "#7F7F7F",
}
METHOD_LABELS = {
    "dense": "dense",
    "none": "dense",
    "topk": "top-k",
    "topk-nomem": "top-k, no memory",
    "gaussiank": "Gaussian-k",
    "gaussiank-ref": "Gaussian-k (ref.)",
    "randk": "random-k",
    "randk-unbiased": "random-k (unbiased)",
    "dgck": "DGC-k",
    "trimmed": "trimmed top-k",
    "redsync": "RedSync",
    "threshold": "hard threshold",
    "gaussiank-exact": "Gaussian-k (exactly k)",
    "full-sort": "full sort (baseline)",
    "sign": "scaled sign",
}
METHOD_ORDER = list(METHOD_COLORS)
# Markers tell apart methods whose lines lie on top of each other (top-k and
# Gaussian-k often do); open markers let a marker below show through.
METHOD_MARKERS = {"dense": "o", "none": "o", "topk": "s", "topk-nomem": "s", "gaussiank": "^",
                  "gaussiank-ref": "v", "randk": "D", "randk-unbiased": "D", "dgck": "P", "trimmed": "X"}
# Distribution families (colours not used by any method).
FAMILY_COLORS = {"gaussian": "#882255", "laplace": "#44AA99"}
FAMILY_LABELS = {"gaussian": "Gaussian", "laplace": "Laplace"}
# The two bounds of ALGORITHMS.md 2.
LOOSE_STYLE = {"color": "#000000", "linestyle": "--", "linewidth": 0.8}
TIGHT_STYLE = {"color": "#000000", "linestyle": ":", "linewidth": 1.0}
LOOSE_LABEL = "1 - k/d (loose)"
TIGHT_LABEL = "(1 - k/d)$^2$ (tight)"

FIGURE_NAMES = ("distribution", "bounds", "curve", "convergence", "speed")


# Colours for names this module does not know, picked by a stable hash.
EXTRA_COLORS = ("#4477AA", "#AA3377", "#228833", "#CCBB44", "#66CCEE", "#EE6677", "#BBBBBB")


def method_color(method):
    """Colour of `method`; unknown names get one of EXTRA_COLORS, the same
    one in every figure."""
    if method in METHOD_COLORS:
        return METHOD_COLORS[method]
    return EXTRA_COLORS[sum(map(ord, str(method))) % len(EXTRA_COLORS)]


def method_style(method, markers=True):
    """Line keywords for `method`: its colour and, with markers, its open
    marker."""
    style = {"color": method_color(method)}
    if markers:
        style.update(marker=METHOD_MARKERS.get(method, "o"), markersize=3.2, markerfacecolor="none",
                     markeredgewidth=0.8)
    return style


def method_label(method):
    return METHOD_LABELS.get(method, method)


def method_sort_key(method):
    return (METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER), method)


def apply_style():
    """Install the house style (rcParams) for figures made after this call."""
    matplotlib.rcParams.update(STYLE)


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


# --------------------------------------------------------------------------
# Reading gradtap outputs
# --------------------------------------------------------------------------


class Table:
    """A CSV table as columns: numeric columns become float arrays (empty,
    "nan", "null" -> NaN), the others stay arrays of str."""

    def __init__(self, columns, path=""):
        self.columns = columns
        self.path = path

    def __len__(self):
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def has(self, *names):
        return all(n in self.columns for n in names)

    def find(self, *aliases, required=True):
        """The first column present among `aliases`; KeyError when none is
        (message names the file and what was looked for)."""
        for name in aliases:
            if name in self.columns:
                return self.columns[name]
        if required:
            raise KeyError("%s: no column %s (has: %s)"
                           % (self.path or "table", " or ".join(aliases), ", ".join(self.columns)))
        return None

    def select(self, mask):
        return Table({k: v[mask] for k, v in self.columns.items()}, self.path)


def _to_float(text):
    text = text.strip()
    if text == "" or text.lower() in ("nan", "null", "none", "-"):
        return math.nan
    if text.lower() in ("inf", "+inf", "infinity"):
        return math.inf
    if text.lower() in ("-inf", "-infinity"):
        return -math.inf
    return float(text)


def read_csv(path):
    """Read a gradtap CSV (header row, RFC 4180 quoting) into a Table."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise ValueError("%s: empty CSV file" % path)
    header, body = rows[0], [r for r in rows[1:] if r]
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ValueError("%s:%d: %d fields, header has %d" % (path, number, len(row), len(header)))
    columns = {}
    for j, name in enumerate(header):
        values = [row[j] for row in body]
        try:
            columns[name.strip()] = np.array([_to_float(v) for v in values], dtype=float)
        except ValueError:
            columns[name.strip()] = np.array(values, dtype=object)
    return Table(columns, path)


def read_results_h5(path, table=None):
    """A table of an HDF5 results file as a Table: gradtap's results files
    (`format` gradtap-results: one group per table, one dataset per column,
    `-o x.h5` of bounds, fit and curve; `table` names the group, default the
    first) and converge's (`format` gradtap-converge-results: the curves of
    every method, with a `method` column)."""
    import h5py

    with h5py.File(path, "r") as handle:
        kind = handle.attrs.get("format", b"")
        kind = kind.decode() if isinstance(kind, bytes) else str(kind)

        def column(dataset):
            values = dataset[:]
            if values.dtype.kind in ("O", "S", "U"):
                return np.array([v.decode() if isinstance(v, bytes) else str(v) for v in values], dtype=object)
            return values.astype(float)

        if kind == "gradtap-converge-results":
            order = handle["methods"].attrs.get("order", "")
            order = order.decode() if isinstance(order, bytes) else str(order)
            names = [m for m in order.split(",") if m] or list(handle["methods"])
            parts = {}
            for name in names:
                group = handle["methods"][name]
                length = group["step"].shape[0]
                parts.setdefault("method", []).append(np.array([name] * length, dtype=object))
                for key in ("step", "epoch", "bits", "loss", "average_loss", "accuracy", "test_accuracy"):
                    if key in group:
                        parts.setdefault(key, []).append(column(group[key]))
            return Table({k: np.concatenate(v) for k, v in parts.items()}, path)
        if kind != "gradtap-results":
            raise ValueError("%s: not a gradtap results file (format %r)" % (path, kind))
        groups = [g for g in handle if isinstance(handle[g], h5py.Group)]
        name = table or (groups[0] if groups else None)
        if name not in handle:
            raise ValueError("%s: no table %s (has: %s)" % (path, name, ", ".join(groups)))
        group = handle[name]
        names = group.attrs.get("columns", "")
        names = (names.decode() if isinstance(names, bytes) else str(names)).split(",")
        return Table({n: column(group[n]) for n in names if n in group}, "%s:%s" % (path, name))


def read_table(path, table=None):
    """A CSV file (read_csv) or an HDF5 results file (read_results_h5)."""
    return read_results_h5(path, table) if path.endswith(".h5") else read_csv(path)


def labelled_csvs(items):
    """Parse ["method=path", "path", ...] into [(label, Table)]. A bare path
    is labelled by the part of its name after the last '.', before '.csv'
    (results/bounds.topk.csv -> topk), else by the file name."""
    out = []
    for item in items:
        if "=" in item and not os.path.exists(item):
            label, path = item.split("=", 1)
        else:
            path = item
            base = os.path.basename(path)[:-4] if path.endswith(".csv") else os.path.basename(path)
            label = base.rsplit(".", 1)[1] if "." in base else base
        out.append((label, read_table(path)))
    return out


def run_label(path):
    """The run a file belongs to, from its name: data/run.topk.rank00003.h5
    -> topk (the demo's naming), my_run.h5 -> my_run."""
    base = re.sub(r"(\.rank\d+)?\.h5$", "", os.path.basename(str(path)))
    return base.rsplit(".", 1)[-1] if "." in base else base


def concat_tables(tables):
    """Rows of several Tables one after the other (the columns they share)."""
    tables = [t for t in tables if t is not None]
    if not tables:
        raise ValueError("no tables")
    names = [n for n in tables[0].columns if all(n in t.columns for t in tables[1:])]
    columns = {}
    for n in names:
        parts = [t.columns[n] for t in tables]
        kind = object if any(p.dtype == object for p in parts) else float
        columns[n] = np.concatenate([p.astype(kind) for p in parts])
    return Table(columns, ", ".join(t.path for t in tables))


def split_runs(table, default="run"):
    """[(run label, rows)] of a table: by the run each row's `file` came from
    (run_label), or the whole table under `default` without that column."""
    if "file" not in table.columns:
        return [(default, table)]
    labels = np.array([run_label(f) for f in table.columns["file"]], dtype=object)
    return [(label, table.select(labels == label)) for label in sorted(set(labels), key=method_sort_key)]


def load_runs(paths, default="run"):
    """Read gradtap result files, CSV or HDF5 (e.g. bounds.csv and
    bounds_global.h5), join them and split by run: [(run label, Table)] for
    figure_bounds and figure_curve."""
    paths = [p for p in ([paths] if isinstance(paths, str) else paths) if p and os.path.exists(p)]
    if not paths:
        raise ValueError("none of the result files exists")
    return split_runs(concat_tables([read_table(p) for p in paths]), default)


def snapshot_files(pattern):
    """Snapshot files matching a glob (or one path), sorted."""
    found = sorted(glob.glob(pattern))
    if not found and os.path.exists(pattern):
        found = [pattern]
    return found


def committed_steps(handle, kind_group):
    """The steps of a (tensor, kind) group that are committed snapshots
    (docs/FORMAT.md, `data` and `steps`): all of `steps` in a complete file;
    in a file whose writer is running or was killed, the leading values that
    are >= 0 and increasing, no more than `data` has rows."""
    steps = kind_group["steps"][:]
    if int(handle.attrs.get("complete", 1)) == 1:
        return steps
    rows = 0
    while rows < len(steps) and steps[rows] >= 0 and (rows == 0 or steps[rows] > steps[rows - 1]):
        rows += 1
    if "data" in kind_group:
        rows = min(rows, kind_group["data"].shape[0])
    return steps[:rows]


def read_snapshot(path, tensor, kind, step):
    """One snapshot as float64 (docs/FORMAT.md): tensor by its `name`
    attribute, kind, step. ValueError naming what is missing."""
    import h5py

    try:
        handle = h5py.File(path, "r")
    except OSError:
        handle = h5py.File(path, "r", swmr=True)  # a file whose writer did not close it
    with handle:
        for group in handle["tensors"].values():
            if group.attrs["name"] != tensor or kind not in group:
                continue
            steps = committed_steps(handle, group[kind])
            rows = np.nonzero(steps == step)[0]
            if rows.size == 0:
                raise ValueError("%s: tensor %s kind %s has no step %d" % (path, tensor, kind, step))
            return np.asarray(group[kind]["data"][int(rows[0])], dtype=np.float64)
    raise ValueError("%s: no tensor %s with kind %s" % (path, tensor, kind))


def list_snapshots(path, kind=None):
    """[(tensor name, kind, numel, steps array)] of a snapshot file."""
    import h5py

    out = []
    try:
        handle = h5py.File(path, "r")
    except OSError:
        handle = h5py.File(path, "r", swmr=True)
    with handle:
        for group in handle["tensors"].values():
            for k in ("grad", "residual", "acc", "param"):
                if k in group and (kind is None or k == kind):
                    out.append((str(group.attrs["name"]), k, int(group.attrs["numel"]),
                                committed_steps(handle, group[k])))
    return out


# --------------------------------------------------------------------------
# Mathematics used by the figures (ALGORITHMS.md 2)
# --------------------------------------------------------------------------

_STANDARD_NORMAL = statistics.NormalDist()


def predicted_ratio_gaussian(rho):
    """r_pred for i.i.d. N(0, s^2) coordinates at density rho:
    1 - rho - 2 z phi(z), z = Phi^-1(1 - rho/2) (ALGORITHMS.md 2)."""
    rho = float(rho)
    if not 0.0 < rho <= 1.0:
        return math.nan
    if rho == 1.0:
        return 0.0
    z = _STANDARD_NORMAL.inv_cdf(1.0 - rho / 2.0)
    return max(0.0, 1.0 - rho - 2.0 * z * _STANDARD_NORMAL.pdf(z))


def predicted_ratio_laplace(rho):
    """r_pred for i.i.d. Laplace coordinates: 1 - rho (s^2 + 2s + 2)/2,
    s = -ln(rho) (ALGORITHMS.md 2)."""
    rho = float(rho)
    if not 0.0 < rho <= 1.0:
        return math.nan
    s = -math.log(rho)
    return max(0.0, 1.0 - rho * (s * s + 2.0 * s + 2.0) / 2.0)


def fit_gaussian(u):
    """Maximum-likelihood N(mu, sigma^2): (mean, population std)."""
    return float(np.mean(u)), float(np.std(u))


def fit_laplace(u):
    """Maximum-likelihood Laplace(m, b): (median, mean |u - median|)."""
    m = float(np.median(u))
    return m, float(np.mean(np.abs(u - m)))


def gaussian_pdf(x, mu, sigma):
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2.0 * math.pi))


def laplace_pdf(x, m, b):
    return np.exp(-np.abs(x - m) / b) / (2.0 * b)


def gaussian_quantile(p, mu, sigma):
    return np.array([mu + sigma * _STANDARD_NORMAL.inv_cdf(float(q)) for q in p])


def laplace_quantile(p, m, b):
    p = np.asarray(p, dtype=float)
    return m - b * np.sign(p - 0.5) * np.log(1.0 - 2.0 * np.abs(p - 0.5))


def qq_probabilities(n, points=160):
    """Probabilities for a Q-Q plot of n values, spaced evenly in logit so the
    tails (where the families differ) get as many points as the middle."""
    lo = 1.0 / (n + 1.0)
    logit = np.linspace(math.log(lo / (1 - lo)), -math.log(lo / (1 - lo)), points)
    return 1.0 / (1.0 + np.exp(-logit))


# --------------------------------------------------------------------------
# Figure 1: distribution of u
# --------------------------------------------------------------------------


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
    largest); kind: grad|residual|acc|param; steps: list (default first,
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
        span = max(np.max(np.abs(u - laplace[0])), 1e-30)
        edges = np.linspace(laplace[0] - span, laplace[0] + span, bins)
        density, _ = np.histogram(u, bins=edges, density=True)
        centres = 0.5 * (edges[1:] + edges[:-1])
        h_data = ax_h.step(centres, np.where(density > 0, density, np.nan), where="mid",
                           color="#555555", linewidth=0.8)[0]
        x = np.linspace(edges[0], edges[-1], 400)
        h_gauss = ax_h.plot(x, gaussian_pdf(x, *gaussian), color=FAMILY_COLORS["gaussian"])[0]
        h_lap = ax_h.plot(x, laplace_pdf(x, *laplace), color=FAMILY_COLORS["laplace"], linestyle="--")[0]
        positive = density[density > 0]
        top = max(positive.max() if positive.size else 1.0, gaussian_pdf(gaussian[0], *gaussian))
        ax_h.set_yscale("log")
        ax_h.set_ylim(positive.min() / 3.0 if positive.size else top * 1e-4, top * 3.0)
        ax_h.set_title("step %d, d = %d" % (step, u.size), loc="left")
        p = qq_probabilities(u.size, points=90)
        sample = np.quantile(u, p)
        ax_q.plot(gaussian_quantile(p, *gaussian), sample, "o", color=FAMILY_COLORS["gaussian"], markersize=1.6)
        ax_q.plot(laplace_quantile(p, *laplace), sample, "s", color=FAMILY_COLORS["laplace"], markersize=1.4)
        lim = [min(sample.min(), edges[0]), max(sample.max(), edges[-1])]
        ax_q.plot(lim, lim, color="#999999", linewidth=0.6, zorder=0)
        ax_q.set_xlim(lim)
        ax_q.set_ylim(lim)
        ax_q.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(3))
        ax_q.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
        if i == rows // 2:
            ax_h.set_ylabel("probability density")
            ax_q.set_ylabel("sample quantile" + unit)
        if i == rows - 1:
            ax_h.set_xlabel("u" + unit + ", " + kind + " of " + _short(tensor, 22))
            ax_q.set_xlabel("fitted quantile")
        handles = [h_data, h_gauss, h_lap]
    _finish_legend(fig, grid, legend_ax, handles, ["data", "Gaussian fit", "Laplace fit"])
    if title:
        fig.suptitle(title)
    return save_figure(fig, stem) if stem else fig


# --------------------------------------------------------------------------
# Figure 2: r_k against step, per density and per layer
# --------------------------------------------------------------------------


def nice_density(k, d):
    """The density a row was asked for: k = max(1, floor(rho d)) puts rho in
    [k/d, (k+1)/d), and the number with the fewest significant digits in
    that interval is taken (k=156, d=156800 -> 0.001). k/d itself when k or d
    is not a positive number."""
    if not (k >= 1 and d >= 1 and math.isfinite(k) and math.isfinite(d)):
        return k / d if d else math.nan
    low, high = k / d, (k + 1) / d
    for digits in range(1, 8):
        # The larger decade first: 0.001 rather than 0.0009 in [0.00083, 0.0017).
        for exponent in range(math.floor(math.log10(high)), math.floor(math.log10(low)) - 1, -1):
            step = 10.0 ** (exponent - digits + 1)
            candidate = math.ceil(low / step - 1e-9) * step
            if candidate < high:
                return float("%.*g" % (digits, candidate))
    return low


def _densities(table):
    """The requested density of each row (nice_density of its k and d)."""
    return np.array([nice_density(k, d) for k, d in zip(table.find("k"), table.find("d"))])


def _str_column(table, name, default):
    column = table.columns.get(name)
    if column is None:
        return np.array([default] * len(table), dtype=object)
    if column.dtype != object:
        return np.array(["%d" % v if float(v).is_integer() else "%g" % v for v in column], dtype=object)
    return column


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
    bound 1-k/d and the tight bound (1-k/d)^2 (ALGORITHMS.md 2). The y axis is
    a logit scale so that r_k near 1 at small densities stays readable; a
    point below a bound line satisfies that bound.

    tables: [(method, Table of `gradtap bounds --format csv`)]; kind and rank
    select rows (when the table has those columns); tensors: names (default
    the 3 largest); densities: values (default every density present)."""
    apply_style()
    tables = [(m, _rows_of(t, kind, rank)) for m, t in tables]
    tables = [(m, t) for m, t in tables if len(t)]
    if not tables:
        raise ValueError("no bounds rows of kind %s, rank %d" % (kind, rank))
    tensors = tensors or choose_tensors(tables[0][1])
    if densities is None:
        densities = sorted({float(x) for _, t in tables
                            for x in _density_labels(t)[np.isin(_str_column(t, "tensor", "model"), tensors)]})
    nrows, ncols = len(densities), len(tensors)
    fig, grid, legend_ax = _new_figure([0.95] * nrows, ncols, width=COLUMN_WIDTH_IN if ncols <= 3 else 1.9 * ncols)
    handles, labels = {}, {}
    first = None
    for r, rho in enumerate(densities):
        row_axes, low, high = [], 1.0, 0.0
        for c, tensor in enumerate(tensors):
            ax = fig.add_subplot(grid[r + 1, c], sharex=first, sharey=row_axes[0] if row_axes else None)
            first = first or ax
            row_axes.append(ax)
            for method, table in tables:
                mask = (_str_column(table, "tensor", "model") == tensor) & np.isclose(_density_labels(table), rho)
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
                ax.set_title(_short(tensor, 16), loc="center")
            if c == 0:
                ax.set_ylabel("$r_k$, $\\rho$ = %s" % _fmt_density(rho))
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
                   [labels[k] for k in order if k in labels], max_cols=3)
    if title:
        fig.suptitle(title)
    return save_figure(fig, stem) if stem else fig


def _rows_of(table, kind, rank):
    mask = np.ones(len(table), dtype=bool)
    if kind and "kind" in table.columns:
        mask &= _str_column(table, "kind", kind) == kind
    if rank is not None and "rank" in table.columns:
        mask &= table.columns["rank"] == rank
    return table.select(mask)


def _density_labels(table):
    """The requested density per row: `density` column if present, else k/d."""
    return _densities(table)


def _fmt_density(rho):
    return ("%.4g" % rho).rstrip("0").rstrip(".") if rho >= 1e-4 else "%.0e" % rho


def _short(name, width=18):
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


# --------------------------------------------------------------------------
# Figure 3: the curve r_k against k/d
# --------------------------------------------------------------------------


def figure_curve(tables, kind="acc", rank=0, tensor=None, step=None, stem=None, title=None):
    """Figure 3: r_k against k/d (log axis) for one snapshot per method, with
    the loose bound 1-k/d, the tight bound (1-k/d)^2 and the ratios a Gaussian
    and a Laplace vector would give (ALGORITHMS.md 2; scale-free, so they
    depend on k/d only).

    tables: [(method, Table of `gradtap curve --format csv`)] with columns
    step, tensor, d, k, ratio (rank, kind used when present); tensor: default
    the largest; step: default each table's last step."""
    apply_style()
    fig, grid, legend_ax = _new_figure([1.9])
    ax = fig.add_subplot(grid[1, 0])
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
        shown.append("%s step %d" % (_short(name, 14), at))
    if not handles:
        raise ValueError("no curve rows of kind %s, rank %d" % (kind, rank))
    rho = np.logspace(math.log10(lowest), 0, 300)
    handles.append(ax.plot(rho, 1 - rho, **LOOSE_STYLE)[0])
    labels.append(LOOSE_LABEL)
    handles.append(ax.plot(rho, (1 - rho) ** 2, **TIGHT_STYLE)[0])
    labels.append(TIGHT_LABEL)
    handles.append(ax.plot(rho, [predicted_ratio_gaussian(v) for v in rho], color=FAMILY_COLORS["gaussian"],
                           linestyle="-.", linewidth=0.9)[0])
    labels.append("Gaussian prediction")
    handles.append(ax.plot(rho, [predicted_ratio_laplace(v) for v in rho], color=FAMILY_COLORS["laplace"],
                           linestyle=(0, (5, 1.5)), linewidth=0.9)[0])
    labels.append("Laplace prediction")
    ax.set_xscale("log")
    ax.set_xlim(lowest, 1.0)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("density k/d")
    ax.set_ylabel("$r_k = \\Vert u - \\mathrm{Top}_k(u)\\Vert^2 / \\Vert u\\Vert^2$")
    if len(set(shown)) == 1:
        ax.set_title(shown[0] + ", " + kind, loc="left")
    _finish_legend(fig, grid, legend_ax, handles, labels, max_cols=2)
    if title:
        fig.suptitle(title)
    return save_figure(fig, stem) if stem else fig


# --------------------------------------------------------------------------
# Figure 4: convergence
# --------------------------------------------------------------------------


def _split_by_method(table, default):
    methods = _str_column(table, "method", default) if "method" in table.columns else \
        _str_column(table, "sparsifier", default)
    return [(m, table.select(methods == m)) for m in sorted(set(methods), key=method_sort_key)]


def figure_convergence(tables, stem=None, title=None):
    """Figure 4: training loss and test accuracy against epochs (left) and
    against bits communicated per worker (right, log axis), one line per
    method. tables: [(label, Table of `gradtap converge` curves)]; a table
    with a `method` column is split by it. Columns (first found): epoch;
    bits | bits_per_worker | bits_communicated; loss | train_loss;
    test_accuracy | accuracy (fraction or percent)."""
    apply_style()
    fig, grid, legend_ax = _new_figure([1.15, 1.15], 2)
    ax = [[fig.add_subplot(grid[1 + r, c]) for c in range(2)] for r in range(2)]
    handles, labels = [], []
    any_accuracy = False
    for label, table in tables:
        for method, rows in _split_by_method(table, label):
            epoch = rows.find("epoch")
            order = np.argsort(epoch, kind="stable")
            epoch = epoch[order]
            bits = rows.find("bits", "bits_per_worker", "bits_communicated", "bits_sent")[order]
            if np.any(np.diff(bits) < 0):
                at = int(np.argmax(np.diff(bits) < 0)) + 1
                print("gradtap_plots: warning: %s: bits sent by %s decrease at epoch %g (%g after %g): the input "
                      "table is inconsistent" % (rows.path, method, epoch[at], bits[at], bits[at - 1]), file=sys.stderr)
            loss = rows.find("loss", "train_loss")[order]
            accuracy = rows.find("test_accuracy", "accuracy", "test_acc", required=False)
            line = ax[0][0].plot(epoch, loss, **method_style(method))[0]
            ax[0][1].plot(bits, loss, **method_style(method))
            if accuracy is not None:
                accuracy = accuracy[order]
                valid = np.isfinite(accuracy)
                scale = 100.0 if np.nanmax(accuracy, initial=0.0) <= 1.0 else 1.0
                if valid.any():
                    any_accuracy = True
                    ax[1][0].plot(epoch[valid], scale * accuracy[valid], **method_style(method))
                    ax[1][1].plot(bits[valid], scale * accuracy[valid], **method_style(method))
            handles.append(line)
            labels.append(method_label(method))
    if not handles:
        raise ValueError("no convergence rows")
    for r in range(2):
        ax[r][1].set_xscale("log")
        ax[r][1].tick_params(labelleft=False)
        ax[r][1].sharey(ax[r][0])
    ax[0][0].set_ylabel("training loss")
    ax[1][0].set_ylabel("test accuracy (%)" if any_accuracy else "")
    ax[1][0].set_xlabel("epoch")
    ax[1][1].set_xlabel("bits sent per worker")
    for c in range(2):
        ax[0][c].tick_params(labelbottom=False)
        ax[0][c].sharex(ax[1][c])
    _finish_legend(fig, grid, legend_ax, handles, labels)
    if title:
        fig.suptitle(title)
    return save_figure(fig, stem) if stem else fig


# --------------------------------------------------------------------------
# Figure 5: selection speed
# --------------------------------------------------------------------------


def read_timing(path):
    """A timing table for figure_speed: the demo's CSV (selector, d, density,
    k, seconds, floor_seconds), or the text table a benchmark in bench/
    prints (bench_sparsify: d rho selector ms ...; bench_cuda: kernel d rho
    ms ...). From a benchmark table the `read-once` rows become
    floor_seconds, rows without a density (baselines such as full-sort) are
    repeated for every density, and a `# ...` or `device: ...` line becomes
    Table.title."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    first = text.split("\n", 1)[0]
    if "," in first and "seconds" in first:
        return read_csv(path)
    header, rows, title = None, [], ""
    for line in text.splitlines():
        tokens = line.split()
        if not tokens:
            continue
        if line.startswith("#") or line.startswith("device:"):
            title = title or line.lstrip("# ").strip()
        elif header is None and "d" in tokens and "ms" in tokens:
            header = tokens
        elif header is not None and len(tokens) == len(header):
            rows.append(dict(zip(header, tokens)))
    if header is None or not rows:
        raise ValueError("%s: neither a timing CSV nor a benchmark table (no header with d and ms)" % path)
    name = "selector" if "selector" in header else "kernel"
    density = [_to_float(r.get("rho", "")) for r in rows]
    floors = {float(r["d"]): float(r["ms"]) / 1e3 for r in rows if r[name] == "read-once"}
    present = sorted({x for x in density if x > 0})
    out = []
    for row, rho in zip(rows, density):
        if row[name] == "read-once":
            continue
        for value in ([rho] if rho > 0 or not present else present):
            out.append((row[name], float(row["d"]), value, float(row["ms"]) / 1e3, floors.get(float(row["d"]), math.nan)))
    columns = {"selector": np.array([o[0] for o in out], dtype=object)}
    for j, key in enumerate(("d", "density", "seconds", "floor_seconds"), start=1):
        columns[key] = np.array([o[j] for o in out], dtype=float)
    table = Table(columns, path)
    table.title = title
    return table


def figure_speed(table, stem=None, title=None, source=None):
    """Figure 5: time of one selection against d (log-log), one line per
    selector, with the time to read 4d bytes once at the measured copy rate
    when the table has `floor_seconds`. table: Table with columns
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
        ax = fig.add_subplot(grid[1, c], sharey=first)
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
            handles["~floor"] = ax.plot(xs, 1e3 * np.asarray(ys), color="#999999", linestyle="--")[0]
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        if len(rhos) == 1:
            ax.set_xlabel("vector length d")
        if c == 0:
            ax.set_ylabel("time per selection (ms)")
        else:
            ax.tick_params(labelleft=False)
        if rho is not None:
            ax.set_title("k/d = %s" % _fmt_density(rho), loc="left")
    if len(rhos) > 1:
        fig.supxlabel("vector length d", fontsize=matplotlib.rcParams["axes.labelsize"])
    keys = sorted((k for k in handles if k != "~floor"), key=method_sort_key) + \
        (["~floor"] if "~floor" in handles else [])
    labels = [method_label(k) if k != "~floor" else "read 4d bytes once" for k in keys]
    _finish_legend(fig, grid, legend_ax, [handles[k] for k in keys], labels)
    if title or source:
        fig.suptitle(textwrap.fill(title or source, 64), fontsize=7)
    return save_figure(fig, stem) if stem else fig


# --------------------------------------------------------------------------
# The demo directory and the command line
# --------------------------------------------------------------------------

DEMO_LAYOUT = """A demo directory (what `gradtap demo --out DIR` writes):
  DIR/data/run.<method>[.rankNNNNN].h5   captured snapshots (grad, residual, acc)
  (every results/NAME.csv may instead be the HDF5 results file NAME.h5)
  DIR/results/bounds.csv                 gradtap bounds --format csv (per layer)
  DIR/results/bounds_global.csv          gradtap bounds --global (whole model)
  DIR/results/fit.csv                    gradtap fit --format csv
  DIR/results/curve.csv                  gradtap curve --format csv
  DIR/results/converge.csv               gradtap converge -o (curves per method)
  DIR/results/speed.csv                  selection timing: selector,d,density,k,seconds
  DIR/figures/<figure>.pdf and .png      what this module writes
Rows are told apart by run through their `file` column (run_label)."""


def demo_inputs(directory):
    """Paths of every figure's inputs in a demo directory (DEMO_LAYOUT)."""
    results = os.path.join(directory, "results")
    snapshots = {}
    for path in sorted(glob.glob(os.path.join(directory, "data", "*.h5"))):
        rank = re.search(r"\.rank(\d+)\.h5$", path)
        if rank is None or int(rank.group(1)) == 0:  # rank 0 speaks for its run
            snapshots.setdefault(run_label(path), path)

    def result(name):
        """results/NAME.csv, or results/NAME.h5 when only that exists."""
        csv_path, h5_path = os.path.join(results, name + ".csv"), os.path.join(results, name + ".h5")
        return h5_path if not os.path.exists(csv_path) and os.path.exists(h5_path) else csv_path

    return {
        "snapshots": snapshots,
        "bounds": [result("bounds"), result("bounds_global")],
        "fit": result("fit"),
        "curve": [result("curve")],
        "converge": result("converge"),
        "speed": os.path.join(results, "speed.csv"),
    }


def make_demo_figures(directory, out=None, method="topk", kind="acc", only=None, log=print):
    """Draw every figure whose inputs exist in a demo directory (or a
    directory of your own laid out the same way) into `out` (default
    DIR/figures). A figure whose inputs are absent is skipped with a note.
    Returns (written paths, {figure: why it failed}, {figure: why skipped})."""
    out = out or os.path.join(directory, "figures")
    inputs = demo_inputs(directory)
    written, problems, skipped = [], {}, {}
    wanted = only or FIGURE_NAMES
    needs = {"distribution": [os.path.join(directory, "data", "*.h5")], "bounds": inputs["bounds"],
             "curve": inputs["curve"], "convergence": [inputs["converge"]], "speed": [inputs["speed"]]}

    def attempt(name, draw):
        if name not in wanted:
            return
        if not any(glob.glob(p) for p in needs[name]):
            skipped[name] = "no %s" % " or ".join(os.path.relpath(p, directory) for p in needs[name])
            log("figure %s: skipped: %s" % (name, skipped[name]))
            return
        try:
            paths = draw()
        except (OSError, ValueError, KeyError) as error:
            problems[name] = str(error)
            log("figure %s: not drawn: %s" % (name, error))
            return
        written.extend(paths)
        log("figure %s: %s" % (name, ", ".join(paths)))

    def distribution():
        snapshots = inputs["snapshots"]
        if not snapshots:
            raise ValueError("no snapshot files in %s" % os.path.join(directory, "data"))
        chosen = method if method in snapshots else sorted(snapshots, key=method_sort_key)[-1]
        fit = read_table(inputs["fit"]) if os.path.exists(inputs["fit"]) else None
        return figure_distribution(snapshots[chosen], kind=kind, fit=fit, stem=os.path.join(out, "distribution"),
                                   title=None)

    for name, draw in (
            ("distribution", distribution),
            ("bounds", lambda: figure_bounds(load_runs(inputs["bounds"]), kind=kind,
                                             stem=os.path.join(out, "bounds"))),
            ("curve", lambda: figure_curve(load_runs(inputs["curve"]), kind=kind, stem=os.path.join(out, "curve"))),
            ("convergence", lambda: figure_convergence([("run", read_table(inputs["converge"]))],
                                                       stem=os.path.join(out, "convergence"))),
            ("speed", lambda: figure_speed(read_timing(inputs["speed"]), stem=os.path.join(out, "speed")))):
        attempt(name, draw)
    return written, problems, skipped


def _runs_of(items):
    """METHOD=FILE items are labelled as given; plain files are joined and
    split by their `file` column (load_runs)."""
    labelled = [i for i in items if "=" in i and not os.path.exists(i)]
    plain = [i for i in items if i not in labelled]
    return labelled_csvs(labelled) + (load_runs(plain) if plain else [])


def _parser():
    parser = argparse.ArgumentParser(
        prog="gradtap_plots", description="Figures from gradtap result files (see the module docstring).",
        epilog=DEMO_LAYOUT, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="figure", required=True)
    p = sub.add_parser("all", help="every figure of a demo directory")
    p.add_argument("--demo", required=True, help="the directory `gradtap demo` wrote")
    p.add_argument("--out", help="figure directory (default DEMO/figures)")
    p.add_argument("--method", default="topk", help="run whose snapshots the distribution figure shows")
    p.add_argument("--kind", default="acc", help="snapshot kind (default acc: the vector top-k sees)")
    p.add_argument("--only", help="comma-separated subset of: " + ",".join(FIGURE_NAMES))
    p = sub.add_parser("distribution", help="figure 1 from one snapshot file")
    p.add_argument("snapshots")
    p.add_argument("--tensor")
    p.add_argument("--kind", default="acc")
    p.add_argument("--steps", help="comma-separated steps (default first, middle, last)")
    p.add_argument("--fit", help="CSV of `gradtap fit --format csv` for the same file")
    p.add_argument("--out", required=True, help="output stem (writes STEM.pdf and STEM.png)")
    for name, helptext in (("bounds", "figure 2"), ("curve", "figure 3"), ("convergence", "figure 4")):
        p = sub.add_parser(name, help=helptext + " from CSV files (METHOD=FILE or FILE)")
        p.add_argument("--csv", nargs="+", required=True)
        p.add_argument("--out", required=True, help="output stem")
        if name != "convergence":
            p.add_argument("--kind", default="acc")
            p.add_argument("--rank", type=int, default=0)
    p = sub.add_parser("speed", help="figure 5 from a timing CSV or a bench/ program's output")
    p.add_argument("--csv", required=True)
    p.add_argument("--out", required=True)
    return parser


def main(argv=None):
    """Command line; returns 0 when every requested figure was written,
    1 when some could not be drawn (reasons on stderr), 2 for bad usage."""
    args = _parser().parse_args(argv)
    try:
        if args.figure == "all":
            only = args.only.split(",") if args.only else None
            if only and set(only) - set(FIGURE_NAMES):
                print("gradtap_plots: unknown figure(s): %s" % ", ".join(sorted(set(only) - set(FIGURE_NAMES))),
                      file=sys.stderr)
                return 2
            written, problems, _ = make_demo_figures(args.demo, args.out, args.method, args.kind, only,
                                                     log=lambda m: print(m, flush=True))
            for name, why in problems.items():
                print("gradtap_plots: %s: %s" % (name, why), file=sys.stderr)
            if not written and not problems:
                print("gradtap_plots: no inputs for any figure in %s" % args.demo, file=sys.stderr)
            return 1 if problems or not written else 0
        if args.figure == "distribution":
            steps = [int(s) for s in args.steps.split(",")] if args.steps else None
            paths = figure_distribution(args.snapshots, args.tensor, args.kind, steps,
                                        read_table(args.fit) if args.fit else None, stem=args.out)
        elif args.figure == "bounds":
            paths = figure_bounds(_runs_of(args.csv), args.kind, args.rank, stem=args.out)
        elif args.figure == "curve":
            paths = figure_curve(_runs_of(args.csv), args.kind, args.rank, stem=args.out)
        elif args.figure == "convergence":
            paths = figure_convergence(labelled_csvs(args.csv), stem=args.out)  # CSV or .h5
        else:
            paths = figure_speed(read_timing(args.csv), stem=args.out)
    except (OSError, ValueError, KeyError) as error:
        print("gradtap_plots: %s: %s" % (args.figure, error), file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
