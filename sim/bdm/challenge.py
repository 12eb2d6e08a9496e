"""Bueno de Mesquita's expected-utility ("challenge") model on one issue, for many games at once.

A game is one issue: actors with a position, a capability and a salience in [0, 1]. Games are
independent, so a batch is G games (runs x issues, flattened). `Games` and `Play` hold arrays
(G, A), games first, like the rest of the package; inside, the game axis is the last one
((A, G) per actor, (A, A, G) per dyad, entry [i, j] about i challenging j) so that every
operation runs over contiguous games, however few the actors. Equation numbers are those of
Scholz, Calbert & Smith (2011) as docs/model.md, section 8, gives them, with the readings this
module takes where the replication can be read two ways (`Readings`).

One round (the replication's Appendix, steps 2-11):
1. every exponent r = 1; the challenge expected utilities (eqs. 5-7, 15-16, 22-24) with the
   probability of prevailing from capability- and salience-weighted votes (eqs. 30-31);
2. each actor's security (what the others expect from challenging it) sets its risk exponent
   (eqs. 32-34), and the expected utilities are computed again with it;
3. each actor reads every dyad from its own perspective (its own exponent for both sides) and
   takes one offer: it loses a confrontation, compromises or capitulates (section 6); every
   actor moves at once.
Rounds repeat until no position moves (stable) or the round cap. The forecast is the median
voter position: the capability x salience weighted median of the positions (section 3.2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..preferences import weighted_median


@dataclass(frozen=True)
class Readings:
    """Where the published replication can be read two ways (docs/model.md, section 8.3).

    probability: "all_pairs" divides i's support against j by the absolute votes over every
        ordered pair of positions, the normalisation the replication's own program used (it
        reproduces their Table 2 and Bueno de Mesquita's published figure of Belgium's view);
        "share" divides by the votes on the pair (i, j) alone, eq. 31 as printed (then
        P_ij + P_ji = 1).
    selection: "program" is the order the replication's program took offers in: a lost
        confrontation moving the actor least, else the compromise with the lowest EU-weighted
        midpoint of the two positions, never a capitulation (it reproduces their rounds 4-8);
        "text" takes a lost confrontation, then a compromise, then a capitulation, each
        moving it least (section 6.2 as written).
    q: probability that nothing changes when i does not challenge j (eq. 7); the replication
        chose 1.0 for its example.
    """

    probability: str = "all_pairs"
    selection: str = "program"
    q: float = 1.0

    def __post_init__(self):
        if self.probability not in ("all_pairs", "share"):
            raise ValueError(f"probability must be 'all_pairs' or 'share', got {self.probability!r}")
        if self.selection not in ("program", "text"):
            raise ValueError(f"selection must be 'program' or 'text', got {self.selection!r}")
        if not 0.0 <= self.q <= 1.0:
            raise ValueError(f"q must be in [0, 1], got {self.q!r}")


@dataclass(frozen=True, eq=False)
class Games:
    """G independent games of A actors. An actor that does not take part in a game (part
    False) neither votes, challenges nor moves; its position is ignored."""

    position: np.ndarray  # (G, A) initial positions
    capability: np.ndarray  # (A,) or (G, A), >= 0
    salience: np.ndarray  # (G, A) in [0, 1]: also the probability that the actor resists a challenge
    part: np.ndarray  # (G, A) bool

    def weights(self) -> np.ndarray:
        """(G, A) vote weights c x s, zero for actors that do not take part."""
        return np.where(self.part, np.broadcast_to(self.capability, self.part.shape) * self.salience, 0.0)


@dataclass(frozen=True, eq=False)
class Play:
    """How the games went."""

    position: np.ndarray  # (G, A) final positions (non-participants: their initial position)
    forecast: np.ndarray  # (G,) median voter position of the final positions
    rounds: np.ndarray  # (G,) rounds played (the last one moved nobody if converged)
    converged: np.ndarray  # (G,) bool: positions stable before the cap
    median_path: np.ndarray | None = None  # (G, K + 1) median after each round (0: initial), if kept
    mean_path: np.ndarray | None = None  # (G, K + 1) capability x salience weighted mean, likewise


# Offer kinds, in the order an actor takes them (section 6.2).
LOST_CONFRONTATION, COMPROMISE, CAPITULATION, NO_OFFER = 0, 1, 2, 3
SAME = 1e-9  # positions closer than this share of the range are one position


def median_position(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(G,) of (G, A) positions and weights c x s: the position that beats every other in
    pairwise votes (the Condorcet winner; with these linear utilities the lower weighted median,
    Black 1948)."""
    return weighted_median(x, w)


def mean_position(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(G,) of (G, A): the capability x salience weighted mean position."""
    total = w.sum(axis=-1)
    return np.divide((w * x).sum(axis=-1), total, out=np.full(total.shape, np.nan), where=total > 0)


def prevail_probability(dist: np.ndarray, w: np.ndarray, r: np.ndarray | None, how: str) -> np.ndarray:
    """(A, A, G) P[i, j]: probability that i prevails when it challenges j (eqs. 30-31).

    Third party k votes v_k = c_k s_k (d_kj^r_k - d_ki^r_k) for i over j (the difference of its
    utilities for the two positions); i's support is the sum of the positive votes, divided by
    the sum of their absolute values over the pair ("share") or over every pair ("all_pairs").
    dist (A, A, G) normalised distances between the actors of each game (all take part); w, r
    (A, G) the voters' weights c x s and exponents (None: all 1)."""
    dr = dist if r is None else dist ** r[:, None, :]  # [k, m] = d_km^r_k
    a_n = dr.shape[0]
    # sum_k |v_k| per unordered pair, and sum_k max(v_k, 0) = (sum_k v_k + sum_k |v_k|) / 2 with
    # sum_k v_k = W_j - W_i, W_m = sum_k w_k d_km^r_k.
    total = np.zeros_like(dist)
    for i in range(a_n):
        for j in range(i + 1, a_n):
            total[i, j] = total[j, i] = (w * np.abs(dr[:, j] - dr[:, i])).sum(axis=0)
    pull = (w[:, None, :] * dr).sum(axis=0)
    support = np.maximum(0.5 * (pull[None, :, :] - pull[:, None, :] + total), 0.0)
    if how == "all_pairs":
        total = np.broadcast_to(total.sum(axis=(0, 1)), support.shape)
    return np.divide(support, total, out=np.zeros_like(support), where=total > 0)


def basic_utilities(dist: np.ndarray, r) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(success, failure, status quo) utilities of eqs. 15, 16 and 24 for distances (A, A, G),
    with the evaluating actor's exponents r (a number, or an array broadcast against dist)."""
    u_success = 2.0 - 4.0 * (0.5 - 0.5 * dist) ** r
    u_failure = 2.0 - 4.0 * (0.5 + 0.5 * dist) ** r
    u_status_quo = 2.0 - 4.0 * 0.5 ** r
    return u_success, u_failure, u_status_quo


def no_challenge_value(x: np.ndarray, w: np.ndarray, span: np.ndarray, r) -> np.ndarray:
    """(A, A, G) [i, j]: what i expects if it does not challenge j and something changes
    (eqs. 20-23): j drifts toward the median mu, to i's good (T = 1, when mu is nearer i than j
    is) or harm, by (|x_i - mu| + |x_i - x_j|) / range. x, w (A, G); span (G,)."""
    mu = median_position(x.T, w.T)[None, None, :]
    xi, xj = x[:, None, :], x[None, :, :]
    t = (np.abs(xi - mu) < np.abs(xi - xj)).astype(float)
    spread = (np.abs(xi - mu) + np.abs(xi - xj)) / span
    u_better = 2.0 - 4.0 * (0.5 - 0.25 * spread) ** r  # eq. 22
    u_worse = 2.0 - 4.0 * (0.5 + 0.25 * spread) ** r  # eq. 23
    return t * u_better + (1.0 - t) * u_worse


def challenge_eu(utils: tuple[np.ndarray, np.ndarray, np.ndarray], prob: np.ndarray, resist: np.ndarray,
                 drift: np.ndarray | None, q: float) -> np.ndarray:
    """(A, A, G) the expected utility of challenging less that of not challenging (eqs. 5-7).

    Challenged, the target resists with probability `resist` (its salience; the challenger then
    wins with probability `prob`) or gives in. Not challenged, nothing changes with probability
    q; otherwise the value `drift` of eqs. 20-23 (needed only if q < 1)."""
    u_success, u_failure, u_status_quo = utils
    # eq. 6, s (P U_s + (1 - P) U_f) + (1 - s) U_s, written with fewer operations
    challenge = u_success - resist * (1.0 - prob) * (u_success - u_failure)
    stay = q * u_status_quo  # eq. 7
    if q < 1.0:
        stay = stay + (1.0 - q) * drift
    return challenge - stay  # eq. 5


def risk_exponents(eu_neutral: np.ndarray) -> np.ndarray:
    """(A, G) r_i from the security of i's position (eqs. 32-34): the sum over challengers j of
    E^j(U_ji) at r = 1 (E^i(U_ii) = 0), rescaled over the game's actors to R_i in [-1, 1]; the
    most threatened actor (R = 1) gets r = 1/2, the least (R = -1) r = 2; all equally
    threatened: r = 1."""
    threat = eu_neutral.sum(axis=0)  # [i] = sum_j E^j(U_ji)
    hi, lo = threat.max(axis=0), threat.min(axis=0)
    span = hi - lo
    big_r = np.divide(2.0 * threat - hi - lo, span, out=np.zeros_like(threat), where=span > 0)
    return (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0)


def offers(x: np.ndarray, dist: np.ndarray, own: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(kind, target), each (A, A, G): what mover i would do about j, from i's perspective.
    dist: the normalised distances; two actors closer than SAME of the range stand at one place,
    with nothing to settle (their expected utilities are rounding noise there, and would decide
    by it).

    own[i, j] = a, i's expected utility of challenging j; other[i, j] = b, j's of challenging i
    as i sees it (section 6, figure 6):
      b > a > 0            i expects to lose a confrontation: it moves to x_j;
      b > 0 > a, b > |a|   j has the upper hand: i compromises, moving |a/b| of the way (eq. 36);
      b > 0 > a, |a| >= b  i capitulates to x_j;
    anything else asks nothing of i (it wins, j gives in, or the status quo holds)."""
    a, b = own, other
    xi, xj = x[:, None, :], x[None, :, :]
    lose = (b > a) & (a > 0)
    upper = (b > 0) & (a < 0)
    compromise = upper & (b > -a)
    kind = np.where(lose, LOST_CONFRONTATION, np.where(compromise, COMPROMISE,
                    np.where(upper, CAPITULATION, NO_OFFER)))
    kind = np.where(dist > SAME, kind, NO_OFFER)  # nothing to settle with an actor at one's place
    frac = np.divide(-a, b, out=np.zeros_like(a), where=compromise)
    target = np.where(kind == COMPROMISE, xi + (xj - xi) * frac, xj)
    return kind, target


def choose(x: np.ndarray, kind: np.ndarray, target: np.ndarray, own: np.ndarray, other: np.ndarray,
           selection: str) -> np.ndarray:
    """(A, G) each actor's new position: the one offer it takes, or where it stands."""
    xi = x[:, None, :]
    move = np.abs(target - xi)
    if selection == "program":
        kind = np.where(kind == CAPITULATION, NO_OFFER, kind)
        mid = (np.abs(own) * xi + np.abs(other) * x[None, :, :]) / np.maximum(np.abs(own) + np.abs(other), 1e-300)
        score = np.where(kind == COMPROMISE, mid, move)
    else:
        score = move
    best_kind = kind.min(axis=1)
    live = kind == best_kind[:, None, :]
    best = np.where(live, score, np.inf).min(axis=1)
    # Ties (equal kind and score) go to the lowest target, so relabelling actors changes nothing.
    pick = np.where(live & (score == best[:, None, :]), target, np.inf).min(axis=1)
    return np.where(best_kind == NO_OFFER, x, pick)


def play(games: Games, readings: Readings = Readings(), max_rounds: int = 20, keep_path: bool = False) -> Play:
    """Play every game until no position moves or max_rounds rounds (docs/model.md, 8.4).

    Games are played in groups with the same participants, each on its participants alone: an
    issue with two stakeholders costs 4 dyads rather than A^2 (the same numbers either way)."""
    part = np.asarray(games.part, bool)
    g_n, a_n = part.shape
    if a_n > 62:
        raise ValueError(f"the expected-utility model takes at most 62 actors, got {a_n}")
    x0 = np.asarray(games.position, float)
    s = np.asarray(games.salience, float)
    w = games.weights()
    position, rounds, converged = x0.copy(), np.zeros(g_n, dtype=np.int64), np.zeros(g_n, dtype=bool)
    medians = np.zeros((g_n, max_rounds + 1)) if keep_path else None
    means = np.zeros((g_n, max_rounds + 1)) if keep_path else None
    code = part.astype(np.int64) @ (np.int64(1) << np.arange(a_n, dtype=np.int64))  # who takes part, as bits
    for pattern in np.unique(code):
        rows, cols = np.flatnonzero(code == pattern), np.flatnonzero(part[np.argmax(code == pattern)])
        if not len(cols):  # nobody takes part: nothing to play
            converged[rows] = True
            continue
        sub = np.ix_(rows, cols)
        x, n, c, path = _play_group(x0[sub].T.copy(), s[sub].T.copy(), w[sub].T.copy(), readings, max_rounds, keep_path)
        position[sub], rounds[rows], converged[rows] = x.T, n, c
        if keep_path:
            medians[rows], means[rows] = path
    forecast = median_position(np.where(part, position, np.inf), w)  # out of every game: never the median
    forecast = np.where(np.isfinite(forecast), forecast, 0.0)  # nobody takes part: the status quo
    return Play(position=position, forecast=forecast, rounds=rounds, converged=converged,
                median_path=medians, mean_path=means)


def _play_group(x, s, w, readings: Readings, max_rounds: int, keep_path: bool):
    """Games (A, G) in which every actor takes part: final positions, rounds, converged, path."""
    a_n, g_n = x.shape
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)  # the range
    rounds = np.zeros(g_n, dtype=np.int64)
    converged = np.zeros(g_n, dtype=bool)
    medians = [median_position(x.T, w.T)] if keep_path else None
    means = [mean_position(x.T, w.T)] if keep_path else None
    active = np.arange(g_n)
    for _ in range(max_rounds):
        if not len(active):
            break
        xa = x[:, active]
        new = _round(xa, s[:, active], w[:, active], span[active], readings)
        moved = (np.abs(new - xa) > 1e-12 * span[active]).any(axis=0)
        x[:, active] = new
        rounds[active] += 1
        converged[active[~moved]] = True
        if keep_path:
            medians.append(median_position(x.T, w.T))
            means.append(mean_position(x.T, w.T))
        else:
            active = active[moved]
    path = (np.stack(medians, axis=1), np.stack(means, axis=1)) if keep_path else None
    return x, rounds, converged, path


def _round(x, s, w, span, readings: Readings) -> np.ndarray:
    """One round for (A, G) games: the new positions."""
    dist = np.abs(x[:, None, :] - x[None, :, :]) / span
    q = readings.q
    resist_j, resist_i = s[None, :, :], s[:, None, :]
    # Pass 1 (r = 1) gives the security and risk exponents; pass 2 uses them (Appendix, 2-10).
    prob = prevail_probability(dist, w, None, readings.probability)
    drift = no_challenge_value(x, w, span, 1.0) if q < 1.0 else None
    neutral = challenge_eu(basic_utilities(dist, 1.0), prob, resist_j, drift, q)
    r = risk_exponents(neutral)
    prob = prevail_probability(dist, w, r, readings.probability)
    # Each actor sees both sides of a dyad with its own exponent (its perspective): own[i, j]
    # is E^i(U_ij) with r_i; other[i, j] is j's challenge of i, E^j(U_ji), as i sees it (r_i).
    # Distances are symmetric, so both take the same utilities.
    r_i = r[:, None, :]
    utils = basic_utilities(dist, r_i)
    own = challenge_eu(utils, prob, resist_j, no_challenge_value(x, w, span, r_i) if q < 1.0 else None, q)
    drift_seen = np.swapaxes(no_challenge_value(x, w, span, r[None, :, :]), 0, 1) if q < 1.0 else None
    other = challenge_eu(utils, np.swapaxes(prob, 0, 1), resist_i, drift_seen, q)
    kind, target = offers(x, dist, own, other)
    return choose(x, kind, target, own, other, readings.selection)
