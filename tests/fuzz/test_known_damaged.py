"""The snapshot files on which HDF5 1.10.8 itself hangs or crashes
(known/: a changed byte in the global heap) end every reading command
promptly with one line naming the file and exit 2 (analysis/cli/h5_guard.c),
where they used to hang forever or die of SIGSEGV."""
import os
import pathlib
import subprocess
import time

import pytest

CLI = os.environ.get("GRADTAP_CLI", "gradtap")
KNOWN = pathlib.Path(os.environ.get("GRADTAP_SOURCE_DIR", ".")) / "tests" / "fuzz" / "known"


@pytest.mark.parametrize("command", ["info", "bounds", "fit", "curve", "recover"])
@pytest.mark.parametrize("case", ["hang", "segv"])
def test_damaged_heap_ends_promptly(command, case):
    path = KNOWN / f"snapshot_hdf5_global_heap_{case}.h5"
    assert path.exists(), path
    env = dict(os.environ, GRADTAP_OPEN_TIMEOUT="3")
    start = time.monotonic()
    r = subprocess.run([CLI, command, str(path)], capture_output=True, text=True, timeout=60, env=env)
    elapsed = time.monotonic() - start
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"gradtap {command}: {path}: damaged file" in lines[0], r.stderr
    assert elapsed < 20, elapsed
