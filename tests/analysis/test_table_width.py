"""The terminal tables of bounds, fit and curve: key columns within 120
characters even with long tensor names (elided in the middle, the name's
end kept), aligned columns, --columns in every format, an unknown column
refused with exit 2; csv keeps every column and full names."""
import csv
import io
import os
import re
import subprocess

import numpy as np
import pytest

CLI = os.environ.get("GRADTAP_CLI", "gradtap")
LONG = "module.encoder.layers.11.self_attention.query_key_value.weight"


def is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def run(*args):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    folder = tmp_path_factory.mktemp("width")
    rng = np.random.default_rng(7)
    npy = folder / "grad_step_5.npy"
    np.save(npy, rng.standard_normal(20000).astype(np.float32))
    path = folder / "snap.h5"
    r = run("import", "-o", path, "-t", LONG, npy)
    assert r.returncode == 0, r.stderr
    return path


@pytest.mark.parametrize("command", ["bounds", "fit", "curve"])
def test_key_columns_fit_in_120(snapshot, command):
    r = run(command, snapshot)
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stdout.splitlines() if line]
    assert len(lines) >= 2
    assert max(len(line) for line in lines) <= 120, "\n".join(lines)
    header, first = lines[0], lines[1]
    # the name is elided in the middle: its start and its end survive
    token = next(t for t in first.split() if t.startswith("mod"))
    head, _, tail = token.rpartition("...")
    assert tail and LONG.startswith(head) and LONG.endswith(tail) and len(token) >= 12, token
    # aligned: numbers end and strings start where their column's name does
    table = lines[: next(i for i, line in enumerate(lines) if line.startswith("("))]
    names = list(re.finditer(r"\S+", header))
    for line in table[1:]:
        cells = list(re.finditer(r"\S+", line))
        assert len(cells) == len(names), line
        for name, cell in zip(names, cells):
            if is_number(cell.group()):
                assert cell.end() == name.end(), (name.group(), line)
            else:
                assert cell.start() == name.start(), (name.group(), line)
    assert any("--columns all" in line for line in lines)


def test_columns_option_every_format(snapshot):
    r = run("bounds", "--no-selectors", "--columns", "tensor,k,ratio", "--format", "csv", snapshot)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0].keys()) == ["tensor", "k", "ratio"]
    assert rows[0]["tensor"] == LONG
    r = run("bounds", "--no-selectors", "--columns", "all", snapshot)
    assert r.returncode == 0 and "gaussiank_recall" in r.stdout.splitlines()[0]
    r = run("bounds", "--columns", "tensor,nonsense", snapshot)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == ["gradtap bounds: --columns: no column 'nonsense' (see the csv header)"]


def test_csv_keeps_every_column(snapshot):
    r = run("bounds", "--no-selectors", "--format", "csv", snapshot)
    header = r.stdout.splitlines()[0].split(",")
    assert len(header) == 40 and header[-13] == "source"
