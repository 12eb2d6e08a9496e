"""One distribution of a scenario kind from an expert's three elicited points.

An expert states, for one scenario key, either the 5%, 50% and 95% quantiles or the minimum,
mode and maximum.  Each kind the scenario schema allows (sim/distributions.py) is fitted by
least squares on the CDF at the elicited points, as SHELF's `fitdist` does: minimise
sum_i (F(x_i) - p_i)^2 with p = (0.05, 0.5, 0.95), keeping the fitted support inside the bounds
[low, high] (the key's allowed range, or the expert's plausible limits).  The fit is reported by
the fitted CDF at the three points and its largest absolute error; the kind with the smallest
error wins unless the user names one (ties, within FIT_TIE, go to the kind listed first in KINDS).

A minimum/mode/maximum judgement *is* a triangular distribution: it is turned into that
triangular's 5/50/95 quantiles on [minimum, maximum], so both formats are fitted and reported in
the same terms (the triangular then fits exactly).

Parameterisations used here (the scenario's own):
  uniform(low, high); triangular(low, mode, high); truncnormal(mean, sd, low, high) with the
  window [low, high] fixed at the bounds and the mean inside it; beta(a, b, low, high) with
  [low, high] fixed at the bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from sim.distributions import Beta, Param, ParamError, Triangular, TruncNormal, Uniform, make_param

PROBS = np.array([0.05, 0.5, 0.95])
KINDS = ("triangular", "beta", "truncnormal", "uniform")  # tie-break order: first listed wins
FIT_TIE = 1e-4  # CDF errors closer than this count as equally good fits


@dataclass(frozen=True)
class Fit:
    kind: str
    param: Param
    points: tuple[float, float, float]  # the elicited 5/50/95% values it was fitted to
    cdf: tuple[float, float, float]  # the fitted CDF at them (targets 0.05, 0.5, 0.95)

    @property
    def error(self) -> float:
        """Largest absolute difference between the fitted CDF and 0.05, 0.5, 0.95 at the points."""
        return float(np.max(np.abs(np.array(self.cdf) - PROBS)))


def triangular_points(minimum: float, mode: float, maximum: float) -> tuple[float, float, float]:
    """The 5/50/95% quantiles of triangular(minimum, mode, maximum)."""
    q = Triangular(minimum, mode, maximum).from_uniform(PROBS)
    return float(q[0]), float(q[1]), float(q[2])


def _build(kind: str, theta: np.ndarray, low: float, high: float) -> Param:
    """The distribution of `kind` at unconstrained-to-[0, 1] coordinates theta (see _START)."""
    w = high - low
    if kind == "uniform":
        a = low + w * theta[0]
        return Uniform(a, a + (high - a) * max(theta[1], 1e-9))
    if kind == "triangular":
        a = low + w * theta[0]
        b = a + (high - a) * max(theta[2], 1e-9)
        return Triangular(a, a + (b - a) * theta[1], b)
    if kind == "truncnormal":
        return TruncNormal(low + w * theta[0], w * math.exp(theta[1]), low, high)
    return Beta(math.exp(theta[0]), math.exp(theta[1]), low, high)


_BOUNDS = {"uniform": ([0, 0], [1, 1]), "triangular": ([0, 0, 0], [1, 1, 1]),
           "truncnormal": ([0, math.log(1e-4)], [1, math.log(10.0)]),
           "beta": ([math.log(0.1), math.log(0.1)], [math.log(5e3), math.log(5e3)])}


def _starts(kind: str, x: np.ndarray, low: float, high: float) -> list[np.ndarray]:
    """Starting points: supports that cover the elicited points, so no CDF residual starts flat."""
    w = high - low
    u = (x - low) / w  # the points on [0, 1]
    spread = max(u[2] - u[0], 1e-6)
    if kind in ("uniform", "triangular"):
        out = []
        for k in (0.05, 0.5, 1.0, 2.0):
            a = max(u[0] - k * spread, 0.0)
            b = min(u[2] + k * spread, 1.0)
            if kind == "uniform":
                out.append(np.array([a, (b - a) / max(1 - a, 1e-12)]))
            else:
                out.append(np.array([a, np.clip((u[1] - a) / max(b - a, 1e-12), 0, 1), (b - a) / max(1 - a, 1e-12)]))
        return [np.clip(s, 0, 1) for s in out]
    if kind == "truncnormal":
        return [np.array([np.clip(u[1], 0, 1), math.log(np.clip(spread / 3.29, 1e-4, 10.0))])]
    m, sd = np.clip(u[1], 1e-3, 1 - 1e-3), max(spread / 3.29, 1e-4)
    conc = max(m * (1 - m) / sd ** 2 - 1, 0.2)
    return [np.clip(np.log([m * conc, (1 - m) * conc]), _BOUNDS["beta"][0], _BOUNDS["beta"][1])]


def fit_kind(kind: str, points, low: float, high: float) -> Fit:
    """Least-squares fit of `kind` to the 5/50/95% points, its support inside [low, high]."""
    x = np.asarray(points, dtype=float)
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; allowed: {', '.join(KINDS)}")
    if not (low <= x[0] < x[1] < x[2] <= high):
        raise ValueError(f"the points must increase strictly inside [{low:g}, {high:g}], got {', '.join(f'{v:g}' for v in x)}")

    def residuals(theta):
        return _build(kind, theta, low, high).cdf(x) - PROBS

    best = None
    for start in _starts(kind, x, low, high):
        res = optimize.least_squares(residuals, start, bounds=_BOUNDS[kind], xtol=1e-12, ftol=1e-12, gtol=1e-12)
        if best is None or res.cost < best.cost:
            best = res
    param = _checked(kind, _build(kind, best.x, low, high), low, high)
    cdf = param.cdf(x)
    return Fit(kind, param, (float(x[0]), float(x[1]), float(x[2])), (float(cdf[0]), float(cdf[1]), float(cdf[2])))


def _checked(kind: str, p: Param, low: float, high: float) -> Param:
    """The fitted distribution with its numbers at 10 significant digits (as the overlay writes
    them, so the fit reported is the fit written), rebuilt through make_param."""
    fields = {k: float(f"{getattr(p, k):.10g}") for k in ("low", "mode", "high", "mean", "sd", "a", "b") if hasattr(p, k)}
    for k in ("low", "high"):  # rounding must not move the support past the bounds
        fields[k] = min(max(fields[k], low), high)
    if kind == "triangular":
        fields["mode"] = min(max(fields["mode"], fields["low"]), fields["high"])
    try:
        return make_param(kind, fields)
    except ParamError as exc:  # (cannot happen inside the bounds used above; say so if it does)
        raise ValueError(f"the {kind} fit left the allowed shapes: {exc}") from None


def fit_best(points, low: float, high: float, kind: str | None = None, exact: Param | None = None
             ) -> tuple[Fit, tuple[Fit, ...]]:
    """The chosen fit (the named kind, or the best of KINDS) and every fit tried, in KINDS order.
    `exact`: a distribution known to match the points (a min/mode/max judgement's triangular),
    taken for its kind instead of the numerical fit."""
    kinds = (kind,) if kind else KINDS
    fits = tuple(_exact_fit(exact, points) if exact is not None and exact.kind == k else fit_kind(k, points, low, high)
                 for k in kinds)
    best = fits[0]
    for f in fits[1:]:
        if f.error < best.error - FIT_TIE:
            best = f
    return best, fits


def _exact_fit(p: Param, points) -> Fit:
    cdf = p.cdf(np.asarray(points, dtype=float))
    return Fit(p.kind, p, tuple(float(x) for x in points), (float(cdf[0]), float(cdf[1]), float(cdf[2])))
