#!/usr/bin/env bash
# check_pip_install.sh SOURCE_DIR WORK_DIR PYTHON - what a user gets from
# `python3 -m venv --system-site-packages V && V/bin/pip install SOURCE_DIR`
# (README "Install"): from a directory outside the sources, with no
# environment variables, the `gradtap` command runs, `import gradtap`
# loads its library, a small PyTorch capture into a folder that does not
# exist yet works, the commands read it, and the plotting package imports.
set -euo pipefail
source_dir="$1" work="$2" python="$3"
rm -rf "$work" && mkdir -p "$work/user"
"$python" -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "$source_dir" >"$work/pip.log" 2>&1 ||
  { tail -20 "$work/pip.log" >&2; echo "pip_install: pip install failed" >&2; exit 1; }
cd "$work/user"
unset GRADTAP_LIBDIR GRADTAP_NOTEBOOKS GRADTAP_PYTHON PYTHONPATH
"$work/venv/bin/gradtap" --version
"$work/venv/bin/python" - <<'PY'
import os
import torch
import gradtap

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(20, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
w = gradtap.watch(model, "myrun/data/run.h5", every=2)
for step in range(6):
    x = torch.randn(32, 20)
    y = (x[:, 0] > 0).long()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    w.step()
    optimizer.step()
    optimizer.zero_grad()
w.close()
assert os.path.getsize("myrun/data/run.h5") > 0
import gradtap_plots, gtplots  # noqa: E401,F401  the notebooks' imports
print("pip_install: capture and imports ok; library", gradtap._native.lib._name)
PY
"$work/venv/bin/gradtap" info myrun/data/run.h5 >"$work/info.txt"
grep -q "0.weight" "$work/info.txt"
"$work/venv/bin/gradtap" bounds --format csv myrun/data/run.h5 >"$work/bounds.csv"
test "$(wc -l <"$work/bounds.csv")" -gt 1
mkdir -p myrun/results && cp "$work/bounds.csv" myrun/results/bounds.csv
"$work/venv/bin/python" -m gradtap_plots all --demo myrun --kind grad --only bounds >"$work/plots.log" 2>&1 ||
  { cat "$work/plots.log" >&2; echo "pip_install: the figures failed" >&2; exit 1; }
test -s myrun/figures/bounds.png
echo "pip_install: the installed command, hook and plotting package work from $work/user"
