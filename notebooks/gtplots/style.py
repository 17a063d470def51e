"""House style: sizes, fonts and colours, one place for all figures.

Every figure is sized for one column of a two-column paper (3.4 in wide,
7-8 pt text) and uses the same colour and marker for the same method.
"""

import matplotlib

__all__ = ["COLUMN_WIDTH_IN", "STYLE", "METHOD_COLORS", "METHOD_LABELS", "METHOD_ORDER", "METHOD_MARKERS",
           "METHOD_LINES", "FAMILY_COLORS", "FAMILY_LABELS", "LOOSE_STYLE", "TIGHT_STYLE", "LOOSE_LABEL",
           "TIGHT_LABEL", "FLOOR_STYLE", "FLOOR_LABEL", "EXTRA_COLORS", "KIND_LABELS", "WHOLE_MODEL",
           "method_color", "method_style", "method_label", "method_sort_key", "kind_label", "apply_style"]

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
    "legend.columnspacing": 1.0,
    "legend.handletextpad": 0.4,
    "legend.borderaxespad": 0.0,
    "figure.dpi": 150,
    "savefig.dpi": 300,
    "pdf.fonttype": 42,  # TrueType in the PDF: editable, accepted by publishers
    "ps.fonttype": 42,
    "figure.constrained_layout.use": True,
}

# Okabe-Ito colours (distinct for the three common colour-vision
# deficiencies), one per method in every figure.
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
# Markers tell apart methods whose lines lie on top of each other; open
# markers let a marker below show through.
METHOD_MARKERS = {"dense": "o", "none": "o", "topk": "s", "topk-nomem": "s", "gaussiank": "^",
                  "gaussiank-ref": "v", "randk": "D", "randk-unbiased": "D", "dgck": "P", "trimmed": "X"}
# Top-k and Gaussian-k often select the same entries, so their lines
# coincide. Top-k is drawn wide with large open squares underneath and
# Gaussian-k thin, dashed, with small filled triangles on top: where they
# agree both stay visible (an orange dash inside a blue band, a triangle
# inside a square), with no offset that would move a value off its step.
METHOD_LINES = {
    "topk": {"linewidth": 2.0, "markersize": 4.8, "zorder": 2.0},
    "gaussiank": {"linewidth": 0.9, "linestyle": (0, (3.0, 1.6)), "markersize": 2.6, "markerfacecolor": None,
                  "zorder": 2.3},
}
# Distribution families: Okabe-Ito hues that no method of the curve and
# distribution figures uses (reddish purple, vermillion).
FAMILY_COLORS = {"gaussian": "#CC79A7", "laplace": "#D55E00"}
FAMILY_LABELS = {"gaussian": "Gaussian", "laplace": "Laplace"}
# The two bounds (theory.bound_loose, theory.bound_tight).
LOOSE_STYLE = {"color": "#000000", "linestyle": "--", "linewidth": 0.8}
TIGHT_STYLE = {"color": "#000000", "linestyle": ":", "linewidth": 1.0}
LOOSE_LABEL = "loose 1 \u2212 k/d"
TIGHT_LABEL = "tight (1 \u2212 k/d)$^2$"
# The read-once floor of the speed figure: the time to read the vector once
# at the measured memory-copy speed.
FLOOR_STYLE = {"color": "#999999", "linestyle": "--"}
FLOOR_LABEL = "one read of the vector"
# What a snapshot kind holds, in words (docs/CAPTURE.md).
KIND_LABELS = {
    "grad": "gradient g",
    "residual": "residual r (error feedback)",
    "acc": "accumulated u = g + r",
    "param": "parameters",
    "reduced": "all-reduced gradient",
}
# The tensor name of whole-model rows (`gradtap bounds --global`) and its label.
WHOLE_MODEL = "(global)"

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
    lines = dict(METHOD_LINES.get(method, {}))
    if markers:
        style.update(marker=METHOD_MARKERS.get(method, "o"), markersize=3.2, markerfacecolor="none",
                     markeredgewidth=0.8)
    else:
        lines = {k: v for k, v in lines.items() if not k.startswith("marker")}
    style.update(lines)
    if style.get("markerfacecolor", "none") is None:  # filled in the line's colour
        style["markerfacecolor"] = style["color"]
    return style


def method_label(method):
    """The name of a method in legends. A run named after its file keeps
    that name, except the placeholder `run` (a file `run.h5`, or a table
    without method or file column), which is shown as "this run"."""
    return METHOD_LABELS.get(method, "this run" if method == "run" else method)


def kind_label(kind):
    """A snapshot kind in words: acc -> "accumulated u = g + r"."""
    return KIND_LABELS.get(kind, kind)


def method_sort_key(method):
    return (METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER), method)


def apply_style():
    """Install the house style (rcParams) for figures made after this call."""
    matplotlib.rcParams.update(STYLE)
