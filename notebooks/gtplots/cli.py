"""The command line of notebooks/gradtap_plots.py (`gradtap demo` runs it):
`all --demo DIR`, or one figure from given files."""

import argparse
import os
import sys

from .demo import DEMO_LAYOUT, FIGURE_NAMES, make_demo_figures
from .fig_bounds import figure_bounds
from .fig_convergence import figure_convergence
from .fig_curve import figure_curve
from .fig_distribution import figure_distribution
from .fig_speed import figure_speed
from .fig_steps import STEP_QUANTITIES, figure_steps
from .readers import labelled_csvs, load_runs, read_table, read_timing, split_runs
from .summaries import every_step_table

__all__ = ["main"]


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
    p = sub.add_parser("steps", help="figure 6, every step: from bounds tables with summary rows (--csv) or "
                                     "from the summaries of snapshot files (--snapshots)")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--csv", nargs="+", help="METHOD=FILE or FILE: tables with a `source` column")
    group.add_argument("--snapshots", nargs="+", help="snapshot files written with summary_every")
    p.add_argument("--quantity", choices=sorted(STEP_QUANTITIES), default="delta",
                   help="delta: 1 - r_k (default), ratio: r_k")
    p.add_argument("--kind", default="acc")
    p.add_argument("--rank", type=int, default=0)
    p.add_argument("--out", required=True, help="output stem")
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
            # which copy drew the figures (the install tests check it)
            print("plotting module: %s" % os.path.dirname(os.path.abspath(__file__)), flush=True)
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
        elif args.figure == "steps":
            runs = _runs_of(args.csv) if args.csv else split_runs(every_step_table(args.snapshots, args.kind))
            paths = figure_steps(runs, args.quantity, args.kind, args.rank, stem=args.out)
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
