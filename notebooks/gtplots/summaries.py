"""Per-step summaries of a snapshot file (docs/FORMAT.md, "What capture
adds": /tensors/<t>/<kind>/summary/{steps, moments, counts, hist, ratios}),
read with h5py through the commit rule of readers.committed_steps, and
turned into rows with the columns of the every-step figure (fig_steps).

The log2 histogram: bin 0 counts finite non-zero |u| < 2^E, bin i (1..80)
2^(E+i-1) <= |u| < 2^(E+i), bin 81 |u| >= 2^16, E = hist_min_exponent = -64.
"""

import math
import statistics

import numpy as np

from .readers import Table, committed_steps, concat_tables, list_snapshots, open_snapshot, read_snapshot
from .theory import bound_loose, bound_tight, delta_tight, topk_ratio

__all__ = ["read_summaries", "summary_steps", "summary_table", "every_step_table", "log2_bin_edges",
           "binned_gaussian", "binned_laplace"]

_NORMAL = statistics.NormalDist()


def _attr_text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def read_summaries(path, tensor, kind):
    """The committed summaries of one (tensor, kind) as a dict: steps,
    moments (dict column -> array), counts (dict), hist [n, 82], ratios
    [n, m], densities [m], k [m], numel, hist_min_exponent. ValueError
    when the file has no summary for them."""
    with open_snapshot(path) as handle:
        for group in handle["tensors"].values():
            if group.attrs["name"] != tensor or kind not in group or "summary" not in group[kind]:
                continue
            summary = group[kind]["summary"]
            steps = committed_steps(handle, summary)
            n = len(steps)
            attrs = summary.attrs
            moment_names = _attr_text(attrs.get("moment_columns", "mean,variance,skewness,excess_kurtosis,min,"
                                                "max,norm2,abs_sum")).split(",")
            count_names = _attr_text(attrs.get("count_columns", "count,finite,zeros,nan,posinf,neginf")).split(",")
            moments = summary["moments"][:n]
            counts = summary["counts"][:n]
            densities = np.asarray(attrs.get("densities", []), dtype=float)
            ratios = summary["ratios"][:n] if "ratios" in summary else np.zeros((n, 0))
            return {"steps": np.asarray(steps, dtype=np.int64),
                    "moments": {name: moments[:, j] for j, name in enumerate(moment_names)},
                    "counts": {name: counts[:, j] for j, name in enumerate(count_names)},
                    "hist": np.asarray(summary["hist"][:n], dtype=np.int64),
                    "ratios": np.asarray(ratios, dtype=float), "densities": densities,
                    "k": np.asarray(attrs.get("k", []), dtype=np.int64), "numel": int(group.attrs["numel"]),
                    "hist_min_exponent": int(attrs.get("hist_min_exponent", -64))}
    raise ValueError("%s: no summaries of tensor %s, kind %s" % (path, tensor, kind))


def summary_steps(path, kind):
    """{tensor name: committed summary steps} of a snapshot file."""
    out = {}
    with open_snapshot(path) as handle:
        for group in handle["tensors"].values():
            if kind in group and "summary" in group[kind]:
                out[str(group.attrs["name"])] = committed_steps(handle, group[kind]["summary"])
    return out


_STEP_COLUMNS = ("rank", "step", "tensor", "kind", "d", "k", "density", "k_over_d", "ratio", "delta_emp", "delta_tight",
                 "bound_loose", "bound_tight", "status", "file", "source")


def _rows(columns, path, tensor, kind, rank, d, steps, density, k, ratio, source):
    """Append the rows of one (tensor, density) to `columns`."""
    ratio = np.asarray(ratio, dtype=float)
    values = {"rank": rank, "step": steps, "tensor": tensor, "kind": kind, "d": d, "k": k, "density": density,
              "k_over_d": k / d, "ratio": ratio, "delta_emp": 1.0 - ratio, "delta_tight": delta_tight(k, d),
              "bound_loose": bound_loose(k, d), "bound_tight": bound_tight(k, d), "file": path, "source": source,
              "status": np.where(np.isfinite(ratio), "ok", "zero_vector")}
    for name in _STEP_COLUMNS:
        text = isinstance(values[name], str) or name == "status"
        columns[name].append(np.broadcast_to(np.asarray(values[name], dtype=object if text else float),
                                             ratio.shape))


def _table(columns, paths):
    return Table({name: np.concatenate(parts) for name, parts in columns.items()}, ", ".join(paths))


def _file_rank(path):
    with open_snapshot(path) as handle:
        return int(handle.attrs.get("rank", 0))


def summary_table(paths, kind="acc"):
    """Rows of the every-step figure (fig_steps, source `summary`) from the
    summaries of snapshot files: one per tensor, step and density, with
    ratio = r_k as the capture stored it (exact), delta_emp = 1 - r_k and
    the bounds of its k and d. What `gradtap bounds` adds from summaries,
    without the whole-model rows (those need every tensor's values).
    `rank` is the file's rank attribute."""
    paths = [paths] if isinstance(paths, str) else list(paths)
    columns = {name: [] for name in _STEP_COLUMNS}
    for path in paths:
        rank = _file_rank(path)
        for tensor in summary_steps(path, kind):
            s = read_summaries(path, tensor, kind)
            for j, (density, k) in enumerate(zip(s["densities"], s["k"])):
                _rows(columns, path, tensor, kind, rank, s["numel"], s["steps"], density, int(k),
                      s["ratios"][:, j], "summary")
    if not columns["step"]:
        raise ValueError("no summaries of kind %s in %s" % (kind, ", ".join(paths)))
    return _table(columns, paths)


def every_step_table(paths, kind="acc"):
    """summary_table plus, for each tensor's committed snapshots, rows of
    source `snapshot` at the summary's densities with r_k computed here
    from the snapshot (theory.topk_ratio): what the figure needs from a
    snapshot file alone, before `gradtap bounds` reads summaries."""
    paths = [paths] if isinstance(paths, str) else list(paths)
    summaries = summary_table(paths, kind)
    columns = {name: [] for name in _STEP_COLUMNS}
    for path in paths:
        rank, summarised = _file_rank(path), summary_steps(path, kind)
        for tensor, _, numel, steps in list_snapshots(path, kind):
            if tensor not in summarised or not len(steps):
                continue
            s = read_summaries(path, tensor, kind)
            vectors = [read_snapshot(path, tensor, kind, int(step)) for step in steps]
            for density, k in zip(s["densities"], s["k"]):
                ratios = [topk_ratio(u[np.isfinite(u)], int(k)) for u in vectors]
                _rows(columns, path, tensor, kind, rank, numel, steps, density, int(k), ratios, "snapshot")
    if not columns["step"]:
        return summaries
    return concat_tables([_table(columns, paths), summaries])


def log2_bin_edges(min_exponent=-64, bins=82):
    """Exponents of the bin edges of the summary histogram: bin i covers
    2^edges[i] <= |u| < 2^edges[i+1]; the first and last bins are open
    (given one octave here so that they can be drawn)."""
    return np.arange(min_exponent - 1, min_exponent + bins, dtype=float)


def binned_gaussian(edges, mean, variance):
    """Probability of each |u| octave [2^a, 2^b) for u ~ N(mean, variance)."""
    sigma = math.sqrt(max(variance, 0.0))
    if not sigma > 0:
        return np.full(len(edges) - 1, np.nan)
    cdf = np.vectorize(lambda x: _NORMAL.cdf((x - mean) / sigma))
    lo, hi = 2.0 ** edges[:-1], 2.0 ** edges[1:]
    return (cdf(hi) - cdf(lo)) + (cdf(-lo) - cdf(-hi))


def binned_laplace(edges, scale):
    """Probability of each |u| octave for u ~ Laplace(0, scale):
    exp(-a/scale) - exp(-b/scale)."""
    if not scale > 0:
        return np.full(len(edges) - 1, np.nan)
    return np.exp(-(2.0 ** edges[:-1]) / scale) - np.exp(-(2.0 ** edges[1:]) / scale)
