"""Reading gradtap's outputs: the CSV tables and HDF5 results files of
`gradtap bounds|fit|curve|converge`, timing tables, and snapshot files
(docs/FORMAT.md). The commit rule of an incomplete snapshot file lives in
one function, committed_steps; every snapshot read goes through it."""

import csv
import glob
import math
import os
import re

import numpy as np

from .style import method_sort_key

__all__ = ["Table", "read_csv", "read_results_h5", "read_table", "labelled_csvs", "run_label", "concat_tables",
           "split_runs", "load_runs", "snapshot_rows", "read_timing", "snapshot_files", "open_snapshot",
           "committed_steps", "read_snapshot", "list_snapshots"]


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


def _str_column(table, name, default):
    """Column `name` as strings (numbers written as %d / %g), or `default`
    in every row when the table has no such column."""
    column = table.columns.get(name)
    if column is None:
        return np.array([default] * len(table), dtype=object)
    if column.dtype != object:
        return np.array(["%d" % v if float(v).is_integer() else "%g" % v for v in column], dtype=object)
    return column


def _rows_of(table, kind, rank):
    """The rows of `kind` and `rank` (each filter only when the table has
    that column; rank None: every rank)."""
    mask = np.ones(len(table), dtype=bool)
    if kind and "kind" in table.columns:
        mask &= _str_column(table, "kind", kind) == kind
    if rank is not None and "rank" in table.columns:
        mask &= table.columns["rank"] == rank
    return table.select(mask)


def snapshot_rows(table):
    """The rows of a bounds table that come from snapshots: all of them,
    or those with `source` = snapshot when the table also has rows from
    summaries (`gradtap bounds` on files with summaries; see fig_steps)."""
    if "source" not in table.columns:
        return table
    return table.select(_str_column(table, "source", "snapshot") == "snapshot")


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


def snapshot_files(pattern):
    """Snapshot files matching a glob (or one path), sorted."""
    found = sorted(glob.glob(pattern))
    if not found and os.path.exists(pattern):
        found = [pattern]
    return found


def open_snapshot(path):
    """An h5py.File of a snapshot file for reading; a file whose writer did
    not close it (or is still writing) is opened in SWMR mode."""
    import h5py

    try:
        return h5py.File(path, "r")
    except OSError:
        return h5py.File(path, "r", swmr=True)


# The datasets with one row per step of a commit log: a snapshot's `data`,
# a summary's moments, counts, hist and ratios (docs/FORMAT.md).
ROW_DATASETS = ("data", "moments", "counts", "hist", "ratios")


def committed_steps(handle, kind_group):
    """The committed steps of a (tensor, kind) group or of its `summary`
    group (docs/FORMAT.md, `steps` with `data`, or `summary/steps` with
    its rows): all of `steps` in a complete file; in a file whose writer
    is running or was killed, the leading values that are >= 0 and
    increasing, no more than every row dataset has rows."""
    steps = kind_group["steps"][:]
    if int(handle.attrs.get("complete", 1)) == 1:
        return steps
    rows = 0
    while rows < len(steps) and steps[rows] >= 0 and (rows == 0 or steps[rows] > steps[rows - 1]):
        rows += 1
    for name in ROW_DATASETS:  # no more than every row dataset has
        if name in kind_group:
            rows = min(rows, kind_group[name].shape[0])
    return steps[:rows]


def read_snapshot(path, tensor, kind, step):
    """One snapshot as float64 (docs/FORMAT.md): tensor by its `name`
    attribute, kind, step. ValueError naming what is missing."""
    with open_snapshot(path) as handle:
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
    """[(tensor name, kind, numel, committed steps array)] of a snapshot
    file."""
    out = []
    with open_snapshot(path) as handle:
        for group in handle["tensors"].values():
            for k in ("grad", "residual", "acc", "param", "reduced"):
                if k in group and (kind is None or k == kind):
                    out.append((str(group.attrs["name"]), k, int(group.attrs["numel"]),
                                committed_steps(handle, group[k])))
    return out
