"""Figure 4, convergence: loss and accuracy against epochs and bits
communicated."""

import sys

import numpy as np

from .layout import _finish_legend, _new_figure, save_figure
from .readers import _str_column
from .style import apply_style, method_label, method_sort_key, method_style

__all__ = ["figure_convergence"]


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
    test_accuracy | accuracy (fraction or percent). Rows with 0 bits sent
    (before the first step) appear only against epochs: a log axis cannot
    show them, and clipped they would draw flat lines that were never run."""
    apply_style()
    fig, grid, legend_ax = _new_figure([1.15, 1.15], 2)
    ax = [[fig.add_subplot(grid[r, c]) for c in range(2)] for r in range(2)]
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
            sent = bits > 0  # a log axis has no 0: the steps before anything was sent are left out there
            line = ax[0][0].plot(epoch, loss, **method_style(method))[0]
            ax[0][1].plot(bits[sent], loss[sent], **method_style(method))
            if accuracy is not None:
                accuracy = accuracy[order]
                valid = np.isfinite(accuracy)
                scale = 100.0 if np.nanmax(accuracy, initial=0.0) <= 1.0 else 1.0
                if valid.any():
                    any_accuracy = True
                    ax[1][0].plot(epoch[valid], scale * accuracy[valid], **method_style(method))
                    ax[1][1].plot(bits[valid & sent], scale * accuracy[valid & sent], **method_style(method))
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
