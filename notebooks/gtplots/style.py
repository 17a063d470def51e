"""House style: sizes, fonts and colours, one place for all figures.

Every figure is sized for one column of a two-column paper (3.4 in wide,
7-8 pt text) and uses the same colour and marker for the same method.
"""

import matplotlib

__all__ = ["COLUMN_WIDTH_IN", "STYLE", "METHOD_COLORS", "METHOD_LABELS", "METHOD_ORDER", "METHOD_MARKERS",
           "FAMILY_COLORS", "FAMILY_LABELS", "LOOSE_STYLE", "TIGHT_STYLE", "LOOSE_LABEL", "TIGHT_LABEL",
           "FLOOR_STYLE", "EXTRA_COLORS", "method_color", "method_style", "method_label", "method_sort_key",
           "apply_style"]

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
# The two bounds (theory.bound_loose, theory.bound_tight).
LOOSE_STYLE = {"color": "#000000", "linestyle": "--", "linewidth": 0.8}
TIGHT_STYLE = {"color": "#000000", "linestyle": ":", "linewidth": 1.0}
LOOSE_LABEL = "1 - k/d (loose)"
TIGHT_LABEL = "(1 - k/d)$^2$ (tight)"
# The read-once floor of the speed figure.
FLOOR_STYLE = {"color": "#999999", "linestyle": "--"}

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
