"""gradtap.results (capture/python/gradtap/results.py): every results file
gradtap writes comes back as a pandas DataFrame whose values equal the
command's own CSV output, strings as str, `density` the density asked for
and `k_over_d` = k/d; files that are not results files are refused.

Run by ctest (tests/python/CMakeLists.txt) with GRADTAP_CLI set."""
import csv
import io
import math
import os
import subprocess

import numpy as np
import pytest

import gradtap.results

CLI = os.environ["GRADTAP_CLI"]
SEED = int(os.environ.get("GTAP_TEST_SEED", "20181107"))


def run(*args):
    done = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    folder = tmp_path_factory.mktemp("results")
    rng = np.random.default_rng(SEED)
    path = folder / "run.h5"
    for name, size in (("layer1.weight", 3000), ("layer2.weight", 1111)):
        for step in (0, 10):
            dump = folder / ("%s_%d.npy" % (name, step))
            np.save(dump, rng.standard_normal(size).astype(np.float32))
            run("import", "-o", str(path), "--tensor", name, "--step", str(step), str(dump))
    return folder, path


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def same(frame, rows):
    assert len(frame) == len(rows)
    for column in rows[0]:
        values = list(frame[column])
        for got, want in zip(values, (row[column] for row in rows)):
            if isinstance(got, str):
                assert got == want, column
            elif want in ("", "nan", "NaN"):
                assert math.isnan(float(got)), column
            else:
                assert float(got) == pytest.approx(float(want), rel=1e-12, abs=0), column


@pytest.mark.parametrize("command", ["bounds", "fit", "curve"])
def test_tables_equal_the_csv(snapshot, command):
    folder, path = snapshot
    out = folder / ("%s.h5" % command)
    extra = ["--density", "0.001,0.37"] if command == "bounds" else []
    rows = csv_rows(run(command, *extra, "-f", "csv", "-o", str(out), str(path)))
    frame = gradtap.results.read(out)
    assert gradtap.results.tables(out)[0] == command
    assert frame.attrs["format"] == "gradtap-results"
    assert isinstance(frame["tensor"].iloc[0], str)
    same(frame, rows)


def test_density_is_the_one_asked_for(snapshot):
    folder, path = snapshot
    out = folder / "density.h5"
    run("bounds", "--density", "0.001,0.37", "-o", str(out), str(path))
    frame = gradtap.results.read(out)
    assert sorted(set(frame["density"])) == [0.001, 0.37]
    assert np.array_equal(frame["k_over_d"], frame["k"] / frame["d"])
    assert (frame["k"] == np.maximum(1, np.floor(frame["density"] * frame["d"]))).all()
    summary = gradtap.results.read(out, "bounds_summary")
    assert list(summary["density"]) == [0.001, 0.37]
    out_k = folder / "by_k.h5"
    run("bounds", "--k", "5", "-o", str(out_k), str(path))
    by_k = gradtap.results.read(out_k)
    assert by_k["density"].isna().all() and (by_k["k"] == 5).all()


def test_converge_file(tmp_path):
    out = tmp_path / "converge.h5"
    run("converge", "--quick", "--methods", "dense,topk", "-o", str(out))
    assert gradtap.results.tables(out) == ["curves", "methods"]
    curves = gradtap.results.read(out)
    assert list(curves["method"].unique()) == ["dense", "topk"]
    assert {"step", "loss", "bits"} <= set(curves.columns)
    methods = gradtap.results.read(out, "methods")
    assert list(methods["method"]) == ["dense", "topk"]
    assert (methods["steps"] > 0).all()
    assert methods.attrs["format"] == "gradtap-converge-results"


def test_refuses_other_files(snapshot, tmp_path):
    folder, path = snapshot
    with pytest.raises(gradtap.results.ResultsError, match="not a gradtap results file"):
        gradtap.results.read(path)
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    with pytest.raises(gradtap.results.ResultsError, match="not a readable HDF5 file"):
        gradtap.results.read(text)
    out = folder / "fit.h5"
    run("fit", "-o", str(out), str(path))
    with pytest.raises(gradtap.results.ResultsError, match="no table 'bounds'"):
        gradtap.results.read(out, "bounds")
