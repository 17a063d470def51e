"""The snapshot format read without gradtap: files written by `gradtap import`
from arrays numpy saved are read back with h5py by following docs/FORMAT.md
alone (root attributes, /tensors/<escaped name>/<kind>/{data,steps}), bit for
bit, and h5dump can read them too."""
import os
import shutil
import subprocess

import h5py
import numpy as np
import pytest

CLI = os.environ.get("GRADTAP_CLI", "gradtap")


def run(*args, cwd):
    return subprocess.run([CLI, *args], cwd=cwd, capture_output=True, text=True)


def escape(name):
    """Tensor name -> HDF5 link name, as FORMAT.md specifies."""
    if name in (".", ".."):
        return name.replace(".", "%2E")
    return name.replace("%", "%25").replace("/", "%2F")


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
def test_import_then_h5py_reads_bit_exact(tmp_path, dtype):
    rng = np.random.default_rng(20181107)
    arrays = {}
    for step in (3, 40, 500):
        array = rng.standard_normal((7, 11, 3)).astype(dtype) * 1e-2
        np.save(tmp_path / f"r0_gradients_iter_{step}.npy", array)
        arrays[step] = array
    name = "module.encoder/layer.0%w"
    result = run("import", "-o", "run.h5", "--tensor", name, "--kind", "acc",
                 *[f"r0_gradients_iter_{s}.npy" for s in arrays], cwd=tmp_path)
    assert result.returncode == 0, result.stderr

    with h5py.File(tmp_path / "run.h5", "r") as f:
        assert f.attrs["format"] == "gradtap-snapshots"
        assert f.attrs["format_version"] == 1
        assert f.attrs["rank"] == 0 and f.attrs["world_size"] == 1
        assert f.attrs["complete"] == 1
        group = f["tensors"][escape(name)]
        assert group.attrs["name"] == name
        assert group.attrs["numel"] == 7 * 11 * 3
        expected_dtype = "float16" if dtype == "float16" else "float32"
        assert group.attrs["dtype"] == expected_dtype
        steps = group["acc"]["steps"][:]
        data = group["acc"]["data"]
        assert list(steps) == sorted(arrays)
        assert data.shape == (3, 7 * 11 * 3)
        assert data.chunks[0] == 1
        for row, step in enumerate(steps):
            want = arrays[step].ravel().astype(expected_dtype)
            got = data[row]
            assert got.dtype == np.dtype(expected_dtype)
            assert np.array_equal(got.view(np.uint8), want.view(np.uint8))


def test_bfloat16_reads_exactly_as_float32(tmp_path):
    values = np.array([1.0, -2.5, 3.0e38, 1e-3, 0.0, -0.0], dtype=np.float32)
    values.tofile(tmp_path / "g_5.bin")
    result = run("import", "-o", "bf.h5", "--dtype", "bfloat16", "g_5.bin", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with h5py.File(tmp_path / "bf.h5", "r") as f:
        data = f["tensors/model/grad/data"]
        got = data.astype("float32")[0]
        # bfloat16 = upper 16 bits of float32, round to nearest even
        bits = values.view(np.uint32)
        rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint32) << 16
        assert np.array_equal(got.view(np.uint32), rounded)


@pytest.mark.skipif(shutil.which("h5dump") is None, reason="h5dump (hdf5-tools) not installed")
def test_h5dump_reads_the_file(tmp_path):
    np.arange(4, dtype=np.float32).tofile(tmp_path / "g_9.bin")
    assert run("import", "-o", "d.h5", "g_9.bin", cwd=tmp_path).returncode == 0
    dump = subprocess.run(["h5dump", "-d", "/tensors/model/grad/data", str(tmp_path / "d.h5")],
                          capture_output=True, text=True)
    assert dump.returncode == 0, dump.stderr
    assert "(0,0): 0, 1, 2, 3" in dump.stdout
