"""gradtap_plots - the plotting entry point of `gradtap demo` and the notebooks.

Both the demo and the notebooks draw their figures here, so a figure from a
user's own run looks exactly like the demo's. Every figure is sized for one
column of a two-column paper (3.4 in wide, 7-8 pt text), uses the same colour
for the same method everywhere, is laid out with constrained_layout (no text
overlaps) and is written twice: vector PDF and a 300 dpi PNG.

Figure families (docs/THEORY.md sections are cited where a formula is used):
  1. distribution  histograms of u at chosen steps with the fitted Gaussian
                   and Laplace densities, and Q-Q plots against both fits;
  2. bounds        r_k against step next to 1-k/d and (1-k/d)^2, per density
                   and per layer (docs/THEORY.md s.2);
  3. curve         r_k against k/d with both bounds and the ratios predicted
                   by a Gaussian and a Laplace distribution (docs/THEORY.md s.7);
  4. convergence   loss and accuracy against epochs and bits communicated;
  5. speed         selection time against d for each selector;
  6. steps         every step (summaries): delta = 1 - r_k or r_k against
                   (2kd - k^2)/d^2 and k/d or both bounds, snapshot steps
                   marked (docs/THEORY.md s.2).

Inputs are gradtap's own outputs: snapshot files (docs/FORMAT.md), the CSV
tables of `gradtap bounds|fit|curve|converge --format csv` and a timing CSV
(`selector,d,k,seconds`). CSV columns are found by name, so extra columns
are ignored. Command line (the demo calls this):

    python3 gradtap_plots.py all --demo DIR         # every figure whose inputs DIR has
    python3 gradtap_plots.py bounds --csv topk=b.csv --out fig/bounds
    python3 -m gradtap_plots --help                 # with notebooks/ on sys.path

The code lives in the package gtplots/ next to this file (style, layout,
readers, theory, one module per figure family, demo, cli); this module puts
its own directory on sys.path, so running it by path works from any
directory, and re-exports every public name: `import gradtap_plots as gp`
then gp.figure_bounds(...), gp.read_csv(...), gp.committed_steps(...).
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from gtplots import *  # noqa: E402,F401,F403
from gtplots import main  # noqa: E402,F401
# Helpers that were module-level in the one-file version, kept importable.
from gtplots.cli import _parser, _runs_of  # noqa: E402,F401
from gtplots.fig_convergence import _split_by_method  # noqa: E402,F401
from gtplots.fig_distribution import _decade, _fit_from_table  # noqa: E402,F401
from gtplots.layout import _finish_legend, _fmt_density, _logit_limits, _new_figure, _short  # noqa: E402,F401
from gtplots.readers import _rows_of, _str_column, _to_float  # noqa: E402,F401
from gtplots.theory import _densities  # noqa: E402,F401
from gtplots.theory import _densities as _density_labels  # noqa: E402,F401

if __name__ == "__main__":
    sys.exit(main())
