"""f* of `gradtap converge --precision double` against an independent
float64 solve (issue 15, docs/THEORY.md s.8): numpy's Newton method with a
dense Hessian on the same LIBSVM file, to ||grad f|| < 1e-14. With the
default float32 values, f* is that of the rounded problem and differs by
about 1e-9 relative - the reason --precision double exists.

The data: a standardised set shaped like scikit-learn's breast cancer set
(n = 569, d = 30, correlated features, a few large rows), drawn from a
fixed seed, written with 17 significant digits."""
import os
import re
import subprocess

import numpy as np

N, D = 569, 30


def make_data(path, seed=20181107):
    rng = np.random.default_rng(seed)
    loading = rng.standard_normal((D, 3))
    z = rng.standard_normal((N, 3))
    scale = np.exp(0.5 * rng.standard_normal(N))[:, None]
    x = scale * (z @ loading.T + 0.3 * rng.standard_normal((N, D)))
    x = (x - x.mean(0)) / x.std(0)
    y = np.where(rng.random(N) < 1 / (1 + np.exp(-4 * z[:, 0])), 1, -1)
    with open(path, "w") as f:
        for xi, yi in zip(x, y):
            f.write("%d " % yi + " ".join("%d:%.17g" % (j + 1, v) for j, v in enumerate(xi)) + "\n")
    return x, y


def newton_fstar(x, y, lam):
    w = np.zeros(D)

    def f(w):
        return np.mean(np.logaddexp(0, -y * (x @ w))) + 0.5 * lam * w @ w

    for _ in range(100):
        s = 1 / (1 + np.exp(y * (x @ w)))
        g = -(x.T @ (y * s)) / N + lam * w
        if np.linalg.norm(g) < 1e-14:
            break
        h = (x.T * (s * (1 - s))) @ x / N + lam * np.eye(D)
        p = -np.linalg.solve(h, g)
        step = 1.0
        while f(w + step * p) > f(w) and step > 1e-12:
            step /= 2
        w = w + step * p
    return f(w)


def converge_fstar(path, *extra):
    out = subprocess.run([os.environ["GRADTAP_CLI"], "converge", "--data", path, "--methods", "dense",
                          "--epochs", "0.01", *extra], capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("# f* = "))
    return float(re.match(r"# f\* = (\S+)", line).group(1)), line


def test_fstar_float64_matches_numpy(tmp_path):
    path = str(tmp_path / "bc_like.svm")
    x, y = make_data(path)
    reference = newton_fstar(x, y, 1.0 / N)
    exact, line = converge_fstar(path, "--precision", "double")
    assert "of the data as written" in line
    assert abs(exact - reference) <= 1e-10 * reference, (exact, reference)
    rounded, line = converge_fstar(path)
    assert "rounded to float32" in line
    assert abs(rounded - reference) > 1e-10 * reference, (rounded, reference)
