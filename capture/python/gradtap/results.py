"""gradtap.results: every results file gradtap writes, as pandas DataFrames.

    import gradtap.results
    bounds = gradtap.results.read("myrun/results/bounds.h5")           # one row per (snapshot, density)
    summary = gradtap.results.read("myrun/results/bounds.h5", "bounds_summary")
    curves = gradtap.results.read("myrun/results/converge.h5")         # one row per (method, curve point)
    methods = gradtap.results.read("myrun/results/converge.h5", "methods")  # one row per method

Files of `gradtap bounds`, `fit` and `curve -o FILE.h5` ("gradtap-results",
docs/CLI.md) hold one group per table, its columns listed in the group's
`columns` attribute; `read` keeps that order, and strings come back as
`str`. Files of `gradtap converge -o FILE.h5` ("gradtap-converge-results")
hold one group per method: the "curves" table stacks their curve points
with a `method` column, the "methods" table their final figures. The
file's attributes (model, data, density, ...) are in `DataFrame.attrs`.

Needs pandas and h5py (Debian: python3-pandas, python3-h5py), imported on
first use only, like torch by the rest of the package.
"""

RESULTS_FORMAT = "gradtap-results"
CONVERGE_FORMAT = "gradtap-converge-results"
SUPPORTED_VERSION = 1


class ResultsError(ValueError):
    """The file is not a gradtap results file this version can read."""


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _plain_attrs(attrs):
    out = {}
    for key, value in attrs.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        elif hasattr(value, "item") and getattr(value, "shape", None) == ():
            value = value.item()
        out[key] = value
    return out


def _open(path):
    import h5py
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise ResultsError("%s: not a readable HDF5 file (%s)" % (path, error)) from None
    file_format = _text(handle.attrs.get("format", ""))
    if file_format not in (RESULTS_FORMAT, CONVERGE_FORMAT):
        handle.close()
        raise ResultsError("%s: format %r is not a gradtap results file (a snapshot file? use gradtap info)"
                           % (path, file_format or None))
    version = handle.attrs.get("format_version")
    if version is None or int(version) != SUPPORTED_VERSION:
        handle.close()
        raise ResultsError("%s: format_version %r, this reader knows %d" % (path, version, SUPPORTED_VERSION))
    return handle, file_format


def tables(path):
    """The names of the tables in the file, the default (what read() returns
    without a name) first."""
    handle, file_format = _open(path)
    with handle:
        if file_format == CONVERGE_FORMAT:
            return ["curves", "methods"]
        return [name for name in handle if "columns" in handle[name].attrs]


def _column(dataset):
    values = dataset[()]
    if values.dtype.kind in "OSU":  # strings: plain str, never bytes
        return [_text(v) for v in values]
    return values


def _group_table(pandas, group):
    names = [name for name in _text(group.attrs["columns"]).split(",") if name]
    return pandas.DataFrame({name: _column(group[name]) for name in names if name in group})


def _converge_table(pandas, handle, table):
    order = [m for m in _text(handle["methods"].attrs.get("order", "")).split(",") if m]
    if table == "methods":
        rows = [dict(method=method, **_plain_attrs(handle["methods"][method].attrs)) for method in order]
        return pandas.DataFrame(rows)
    parts = []
    for method in order:
        group = handle["methods"][method]
        columns = {name: group[name][()] for name in group
                   if group[name].ndim == 1 and name != "final_x"}
        frame = pandas.DataFrame(columns)
        frame.insert(0, "method", method)
        parts.append(frame)
    return pandas.concat(parts, ignore_index=True) if parts else pandas.DataFrame()


def read(path, table=None):
    """One table of a results file as a pandas DataFrame (see the module doc).
    `table`: a name from tables(path); None: the file's main table.
    Raises ResultsError for a file that is no gradtap results file, or an
    unknown table name (the message lists the known ones)."""
    import pandas
    known = tables(path)
    if table is None:
        table = known[0] if known else None
    if table not in known:
        raise ResultsError("%s: no table %r (it has: %s)" % (path, table, ", ".join(known) or "none"))
    handle, file_format = _open(path)
    with handle:
        if file_format == CONVERGE_FORMAT:
            frame = _converge_table(pandas, handle, table)
        else:
            frame = _group_table(pandas, handle[table])
        frame.attrs.update(_plain_attrs(handle.attrs))
        frame.attrs["table"] = table
    return frame
