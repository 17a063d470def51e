"""gtplots - the plotting package behind `gradtap demo` and the notebooks.

One module per concern, each rule in one place:
  style         colours, markers, labels, fonts, figure sizes (rcParams)
  layout        figure grid with a legend row, saving PDF+PNG, layout check
  readers       gradtap CSV / HDF5 results, timing tables, snapshot files
                (the commit rule of docs/FORMAT.md: committed_steps)
  theory        bounds 1-k/d and (1-k/d)^2, predicted ratios, fits, r_k
  summaries     per-step summaries of a snapshot file (docs/FORMAT.md)
                and the every-step rows made from them
  fig_distribution, fig_bounds, fig_curve, fig_convergence, fig_speed,
  fig_steps     the six figure families
  demo          the demo directory layout and make_demo_figures
  cli           the command line of notebooks/gradtap_plots.py

notebooks/gradtap_plots.py re-exports every public name, so
`import gradtap_plots as gp` keeps working.
"""

import sys

import matplotlib

# Before pyplot is imported anywhere in the package: no display needed.
if "ipykernel" not in sys.modules and "IPython" not in sys.modules:
    matplotlib.use("Agg")

from .style import *  # noqa: E402,F401,F403
from .layout import *  # noqa: E402,F401,F403
from .readers import *  # noqa: E402,F401,F403
from .theory import *  # noqa: E402,F401,F403
from .summaries import *  # noqa: E402,F401,F403
from .fig_distribution import *  # noqa: E402,F401,F403
from .fig_bounds import *  # noqa: E402,F401,F403
from .fig_curve import *  # noqa: E402,F401,F403
from .fig_convergence import *  # noqa: E402,F401,F403
from .fig_speed import *  # noqa: E402,F401,F403
from .fig_steps import *  # noqa: E402,F401,F403
from .demo import *  # noqa: E402,F401,F403
from .cli import main  # noqa: E402,F401
