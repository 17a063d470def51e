"""The mathematics the figures draw (docs/THEORY.md s.2 and s.7),
one function per formula:

  r_k = ||u - Top_k(u)||^2 / ||u||^2          topk_ratio (a vector's ratio)
  loose bound 1 - k/d                          bound_loose
  tight bound (1 - k/d)^2                      bound_tight
  delta_tight = 1 - (1-k/d)^2 = (2kd - k^2)/d^2  delta_tight (`gradtap bounds` column)
  ratio predicted for i.i.d. Gaussian / Laplace coordinates at density rho
                                               predicted_ratio_gaussian / _laplace
plus the maximum-likelihood fits, densities and quantiles of both families
and the density a (k, d) row was asked for (nice_density). The bounds take
(k, d) or, with d = 1, a density rho = k/d; they accept numpy arrays.
"""

import math
import statistics

import numpy as np

__all__ = ["bound_loose", "bound_tight", "delta_tight", "topk_ratio", "predicted_ratio_gaussian",
           "predicted_ratio_laplace", "fit_gaussian", "fit_laplace", "gaussian_pdf", "laplace_pdf",
           "gaussian_quantile", "laplace_quantile", "qq_probabilities", "nice_density"]


def bound_loose(k, d=1.0):
    """The loose bound on r_k: 1 - k/d."""
    return 1.0 - np.divide(k, d)


def bound_tight(k, d=1.0):
    """The tight bound on r_k: (1 - k/d)^2."""
    return (1.0 - np.divide(k, d)) ** 2


def delta_tight(k, d=1.0):
    """The share of ||u||^2 the tight bound promises Top_k keeps:
    1 - (1 - k/d)^2 = (2kd - k^2)/d^2."""
    rho = np.divide(k, d)
    return rho * (2.0 - rho)


def topk_ratio(u, k):
    """r_k of a vector: the share of ||u||^2 left outside its k largest
    |u_i| (NaN for the zero vector). Selects with np.partition, no sort."""
    squares = np.square(np.asarray(u, dtype=np.float64).ravel())
    d = squares.size
    k = int(min(max(k, 0), d))
    total = squares.sum()
    if not total > 0:
        return math.nan
    if k == 0:
        return 1.0
    tail = np.partition(squares, d - k)[: d - k].sum() if k < d else 0.0
    return float(tail / total)


_STANDARD_NORMAL = statistics.NormalDist()


def predicted_ratio_gaussian(rho):
    """r_pred for i.i.d. N(0, s^2) coordinates at density rho:
    1 - rho - 2 z phi(z), z = Phi^-1(1 - rho/2) (docs/THEORY.md s.7)."""
    rho = float(rho)
    if not 0.0 < rho <= 1.0:
        return math.nan
    if rho == 1.0:
        return 0.0
    z = _STANDARD_NORMAL.inv_cdf(1.0 - rho / 2.0)
    return max(0.0, 1.0 - rho - 2.0 * z * _STANDARD_NORMAL.pdf(z))


def predicted_ratio_laplace(rho):
    """r_pred for i.i.d. Laplace coordinates: 1 - rho (s^2 + 2s + 2)/2,
    s = -ln(rho) (docs/THEORY.md s.7)."""
    rho = float(rho)
    if not 0.0 < rho <= 1.0:
        return math.nan
    s = -math.log(rho)
    return max(0.0, 1.0 - rho * (s * s + 2.0 * s + 2.0) / 2.0)


def fit_gaussian(u):
    """Maximum-likelihood N(mu, sigma^2): (mean, population std)."""
    return float(np.mean(u)), float(np.std(u))


def fit_laplace(u):
    """Maximum-likelihood Laplace(m, b): (median, mean |u - median|)."""
    m = float(np.median(u))
    return m, float(np.mean(np.abs(u - m)))


def gaussian_pdf(x, mu, sigma):
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2.0 * math.pi))


def laplace_pdf(x, m, b):
    return np.exp(-np.abs(x - m) / b) / (2.0 * b)


def gaussian_quantile(p, mu, sigma):
    return np.array([mu + sigma * _STANDARD_NORMAL.inv_cdf(float(q)) for q in p])


def laplace_quantile(p, m, b):
    p = np.asarray(p, dtype=float)
    return m - b * np.sign(p - 0.5) * np.log(1.0 - 2.0 * np.abs(p - 0.5))


def qq_probabilities(n, points=160):
    """Probabilities for a Q-Q plot of n values, spaced evenly in logit so the
    tails (where the families differ) get as many points as the middle."""
    lo = 1.0 / (n + 1.0)
    logit = np.linspace(math.log(lo / (1 - lo)), -math.log(lo / (1 - lo)), points)
    return 1.0 / (1.0 + np.exp(-logit))



def nice_density(k, d):
    """The density a row was asked for: k = max(1, floor(rho d)) puts rho in
    [k/d, (k+1)/d), and the number with the fewest significant digits in
    that interval is taken (k=156, d=156800 -> 0.001). k/d itself when k or d
    is not a positive number."""
    if not (k >= 1 and d >= 1 and math.isfinite(k) and math.isfinite(d)):
        return k / d if d else math.nan
    low, high = k / d, (k + 1) / d
    for digits in range(1, 8):
        # The larger decade first: 0.001 rather than 0.0009 in [0.00083, 0.0017).
        for exponent in range(math.floor(math.log10(high)), math.floor(math.log10(low)) - 1, -1):
            step = 10.0 ** (exponent - digits + 1)
            candidate = math.ceil(low / step - 1e-9) * step
            if candidate < high:
                return float("%.*g" % (digits, candidate))
    return low


def _densities(table):
    """The requested density of each row: the table's `density` column
    (bounds since it became the density asked for), else - older files,
    runs with --k - nice_density of its k and d."""
    guessed = np.array([nice_density(k, d) for k, d in zip(table.find("k"), table.find("d"))], dtype=float)
    if not table.has("density", "k_over_d"):  # before k_over_d, density was k/d
        return guessed
    asked = np.asarray(table.find("density"), dtype=float)
    return np.where(np.isfinite(asked), asked, guessed)
