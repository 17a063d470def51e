"""test_own_run.py - the README's "Figures from your own PyTorch run", step
by step: a small PyTorch training instrumented with gradtap.watch, then
`gradtap bounds|fit|curve` on its file, then gradtap_plots.py on the result
directory. Checks that the figures with inputs are drawn (valid PNG/PDF)
and the others are skipped with a note."""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("GRADTAP_SOURCE_DIR", os.path.join(HERE, "..", ".."))
CLI = os.environ.get("GRADTAP_CLI", os.path.join(SOURCE, "build", "gradtap"))
sys.path.insert(0, HERE)

import figcheck  # noqa: E402

TRAIN = """
import torch, gradtap
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(100, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(512, 100), torch.randint(0, 10, (512,))
w = gradtap.watch(model, "myrun/data/run.h5", every=10)
for step in range(40):
    batch = torch.randint(0, 512, (32,))
    loss = torch.nn.functional.cross_entropy(model(x[batch]), y[batch])
    loss.backward()
    w.step()
    optimizer.step()
    optimizer.zero_grad()
print(w.close())
"""


def test_figures_from_an_instrumented_pytorch_run(tmp_path):
    pytest.importorskip("torch")
    (tmp_path / "myrun" / "data").mkdir(parents=True)
    (tmp_path / "myrun" / "results").mkdir()
    (tmp_path / "train.py").write_text(TRAIN)
    run = subprocess.run([sys.executable, "train.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    data = os.path.join("myrun", "data", "run.h5")
    for args, name in ((["bounds", "--kind", "grad", "-o", "myrun/results/bounds.h5"], "bounds"),
                       (["bounds", "--kind", "grad", "--global"], "bounds_global"),
                       (["fit", "--kind", "grad"], "fit"),
                       (["curve", "--kind", "grad", "--global"], "curve")):
        with open(tmp_path / "myrun" / "results" / (name + ".csv"), "w") as out:
            step = subprocess.run([CLI, *args, "--format", "csv", data], cwd=tmp_path, stdout=out,
                                  stderr=subprocess.PIPE, text=True, timeout=300)
        assert step.returncode == 0, "%s: %s" % (name, step.stderr)
    plots = subprocess.run([sys.executable, os.path.join(SOURCE, "notebooks", "gradtap_plots.py"), "all", "--demo",
                            "myrun", "--kind", "grad"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert plots.returncode == 0, plots.stderr
    assert "overlaps" not in plots.stderr and "sticks out" not in plots.stderr, plots.stderr
    for name in ("distribution", "bounds", "curve"):
        figcheck.check_figure(str(tmp_path / "myrun" / "figures" / name))
    for name in ("convergence", "speed"):
        assert "figure %s: skipped" % name in plots.stdout
