"""The demo directory: its layout (DEMO_LAYOUT), where each figure's inputs
are (demo_inputs) and drawing every figure it has inputs for
(make_demo_figures)."""

import glob
import os
import re

from .fig_bounds import figure_bounds
from .fig_convergence import figure_convergence
from .fig_curve import figure_curve
from .fig_distribution import figure_distribution
from .fig_speed import figure_speed
from .readers import load_runs, read_table, read_timing, run_label
from .style import method_sort_key

__all__ = ["FIGURE_NAMES", "DEMO_LAYOUT", "demo_inputs", "make_demo_figures"]

FIGURE_NAMES = ("distribution", "bounds", "curve", "convergence", "speed")

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
