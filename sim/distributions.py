"""Uncertain calibration numbers: a fixed value or a distribution drawn afresh per run.

Every draw is an inverse-CDF transform of one uniform number, so a run's parameters are a
pure function of the uniforms its own generator produced.  That keeps the batch driver (all
runs at once) and the Mesa driver (one run) bit-identical for the same seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special


@dataclass(frozen=True)
class Fixed:
    value: float
    kind = "fixed"
    needs_uniform = False

    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    def central(self) -> float:
        return self.value

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value, dtype=float)


@dataclass(frozen=True)
class Uniform:
    low: float
    high: float
    kind = "uniform"
    needs_uniform = True

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def central(self) -> float:
        return 0.5 * (self.low + self.high)

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * u


@dataclass(frozen=True)
class Triangular:
    low: float
    mode: float
    high: float
    kind = "triangular"
    needs_uniform = True

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def central(self) -> float:
        return self.mode

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        a, c, b = self.low, self.mode, self.high
        if b == a:
            return np.full(np.shape(u), a, dtype=float)
        split = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
        return np.where(u < split, left, right)


@dataclass(frozen=True)
class TruncNormal:
    mean: float
    sd: float
    low: float
    high: float
    kind = "truncnormal"
    needs_uniform = True

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def central(self) -> float:
        return min(max(self.mean, self.low), self.high)

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        lo = special.ndtr((self.low - self.mean) / self.sd)
        hi = special.ndtr((self.high - self.mean) / self.sd)
        z = special.ndtri(lo + u * (hi - lo))
        return np.clip(self.mean + self.sd * z, self.low, self.high)


@dataclass(frozen=True)
class Beta:
    """Beta(a, b) rescaled to [low, high] (default [0, 1])."""

    a: float
    b: float
    low: float = 0.0
    high: float = 1.0
    kind = "beta"
    needs_uniform = True

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def central(self) -> float:
        return self.low + (self.high - self.low) * self.a / (self.a + self.b)

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * special.betaincinv(self.a, self.b, u)


Param = Fixed | Uniform | Triangular | TruncNormal | Beta

# Field names each distribution takes from a scenario table, in constructor order.
DIST_FIELDS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "truncnormal": ("mean", "sd", "low", "high"),
    "beta": ("a", "b", "low", "high"),
}
_DIST_CLASSES = {"uniform": Uniform, "triangular": Triangular, "truncnormal": TruncNormal, "beta": Beta}
_OPTIONAL = {"beta": {"low": 0.0, "high": 1.0}}


class ParamError(ValueError):
    """A malformed parameter; the message says what is allowed (the caller adds file and key)."""


def make_param(dist: str, fields: dict[str, float]) -> Param:
    """Build a distribution from its name and fields, checking the fields make sense."""
    if dist not in _DIST_CLASSES:
        shown = repr(dist) if len(repr(dist)) <= 40 else repr(dist)[:37] + "...'"
        raise ParamError(f"unknown distribution {shown}; allowed: fixed number, {', '.join(DIST_FIELDS)}")
    names = DIST_FIELDS[dist]
    values = {**_OPTIONAL.get(dist, {}), **fields}
    missing = [n for n in names if n not in values]
    if missing:
        raise ParamError(f"{dist} needs {', '.join(names)}; missing {', '.join(missing)}")
    for n in names:
        v = values[n]
        finite = isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) <= 1e300 and math.isfinite(v)
        if not finite:  # (a huge integer would overflow the float conversion below)
            shown = repr(v) if len(repr(v)) < 40 else repr(v)[:20] + "..."
            raise ParamError(f"{dist} field {n!r} must be a finite number, got {shown}")
    p = _DIST_CLASSES[dist](*(float(values[n]) for n in names))
    _check_shape(p)
    return p


def _check_shape(p: Param) -> None:
    if isinstance(p, Uniform) and not p.low <= p.high:
        raise ParamError(f"uniform needs low <= high, got low={p.low}, high={p.high}")
    if isinstance(p, Triangular) and not p.low <= p.mode <= p.high:
        raise ParamError(f"triangular needs low <= mode <= high, got {p.low}, {p.mode}, {p.high}")
    if isinstance(p, TruncNormal) and not (p.sd > 0 and p.low < p.high):
        raise ParamError(f"truncnormal needs sd > 0 and low < high, got sd={p.sd}, low={p.low}, high={p.high}")
    if isinstance(p, TruncNormal):
        mass = special.ndtr((p.high - p.mean) / p.sd) - special.ndtr((p.low - p.mean) / p.sd)
        if mass < 1e-9:
            raise ParamError(f"truncnormal window [{p.low}, {p.high}] lies too far in the tail of N({p.mean}, {p.sd}^2) "
                             "to be drawn from; move the mean or widen sd")
    if isinstance(p, Beta) and not (p.a > 0 and p.b > 0 and p.low < p.high):
        raise ParamError(f"beta needs a > 0, b > 0 and low < high, got a={p.a}, b={p.b}")
