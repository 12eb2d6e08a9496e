"""The agenda's channels (docs/model.md, section 3.11): how what is on the table reaches the talks
beyond which packages can be signed.  Each is a switch of the scenario (schema `channels.*`)
acting on one run's drawn parameters, here; the kernel reads what they leave (utilities with a
reference point, the party's beliefs about the others' red lines).

    information  `party` does not know the others' red lines: it starts from beliefs between the
                 true lines and its own ideal and learns from offers and votes (kernel/lines.py);
                 a clause off the table settles its belief (the agenda holds it at 0)
    reference    `party` counts a shortfall below a reference point as a loss, times its
                 loss_aversion; the reference is its drafts, or the agenda the talks accepted
    face         a clause `party` demanded is off the table: its outside option moves by `face`
    weight       the salience of `party`'s clauses off the table: a standing loss, dropped with the
                 rest renormalised, or moved to another demand
    linkage      a clause an actor lists in `relax_when_off` is off the table: its red lines on
                 other clauses move up by their `relax`

A clause is off the table when nothing above 0 may be agreed on it (the agenda's `off`, or a
sweep's cap of 0).  Every channel off leaves the parameters exactly as drawn.
"""

from __future__ import annotations

import numpy as np

from .layout import Layout


def excluded(upper: np.ndarray) -> np.ndarray:
    """(C,) bool: clauses off the table (nothing above 0 can be agreed)."""
    return np.asarray(upper) <= 0.0


def reweigh(lay: Layout, salience: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The weight channel, on raw (not yet normalised) saliences (R, A, C): the party's clauses off
    the table keep their weight (loss), lose it (renormalise, by the normalisation that follows)
    or hand it to the clauses of the demand it names (move), shared equally."""
    ch = lay.scenario.channels
    off = excluded(upper)
    if ch.weight == "loss" or ch.party is None or not off.any():
        return salience
    p = lay.actors.index(ch.party)
    out = salience.copy()
    freed = out[:, p, off].sum(axis=-1)  # (R,)
    out[:, p, off] = 0.0
    if ch.weight == "move":
        target = np.flatnonzero((lay.demand_of == lay.demands.index(lay.scenario.actors[p].excluded_to)) & ~off)
        if len(target):
            out[:, p, target] += freed[:, None] / len(target)
    return out


def relax_red_lines(lay: Layout, above: np.ndarray, relax: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The linkage channel: an actor one of whose `relax_when_off` clauses is off the table has
    its red lines (above) moved up by their drawn `relax`, kept at most 1."""
    if lay.scenario.channels.linkage != "on":
        return above
    off = excluded(upper)
    out = above.copy()
    for a, actor in enumerate(lay.scenario.actors):
        if actor.relax_when_off and off[[lay.clauses.index(c) for c in actor.relax_when_off]].any():
            out[:, a] = np.minimum(out[:, a] + relax[:, a], 1.0)
    return out


def face_shift(lay: Layout, ideal: np.ndarray, face: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """(R, A) the face channel's change of each outside option: the party's drawn `face` in runs
    where a clause it demanded (its ideal above 0) is off the table; 0 elsewhere."""
    shift = np.zeros(face.shape)
    ch = lay.scenario.channels
    if ch.face != "on":
        return shift
    p = lay.actors.index(ch.party)
    demanded_off = (ideal[:, p, :] > 0.0) & excluded(upper)[None, :]
    shift[:, p] = np.where(demanded_off.any(axis=1), face[:, p], 0.0)
    return shift


def reference(lay: Layout, ideal: np.ndarray, salience: np.ndarray, loss_aversion: np.ndarray, upper: np.ndarray):
    """The reference channel: (R, A) loss aversion (1: none), (R, A, C) each clause's distance
    from the ideal to the reference point, beyond which a shortfall counts as a loss
    (preferences.utilities), and (R, A) the scale that keeps the utility of the party's ideal at 1
    and of its worst package where it was.  drafts: the reference is the ideal itself, so every
    shortfall is a loss; agenda: a clause is referenced at what the agenda allows (0 off the
    table, its cap).

    Why the scale: the outside option and the status quo are utilities on the scale where the
    ideal is 1 and the worst package is its plain loss from it; measured on that same scale, a
    loss-averse party's packages keep their order and their range, and only the shares of the
    clauses within the loss change.  Without it, loss aversion would lower every package against
    an outside option it leaves alone, so the party would walk out of any talks: an artefact of
    units, not a reference point (docs/model.md, section 3.11)."""
    lam = np.ones(loss_aversion.shape)
    gap = np.zeros(ideal.shape)
    scale = np.ones(loss_aversion.shape)
    ch = lay.scenario.channels
    if ch.reference == "none":
        return lam, gap, scale
    p = lay.actors.index(ch.party)
    lam[:, p] = loss_aversion[:, p]
    if ch.reference == "agenda":
        point = np.minimum(ideal[:, p, :], np.asarray(upper)[None, :])  # what the agenda lets it ask for
        gap[:, p, :] = np.abs(ideal[:, p, :] - point)
    farthest = np.maximum(ideal[:, p, :], 1.0 - ideal[:, p, :])  # the worst value of each clause
    plain = (salience[:, p, :] * farthest).sum(axis=-1)
    beyond = (salience[:, p, :] * np.maximum(farthest - gap[:, p, :], 0.0)).sum(axis=-1)
    total = plain + (lam[:, p] - 1.0) * beyond
    scale[:, p] = np.where(total > 0, plain / np.where(total > 0, total, 1.0), 1.0)
    return lam, gap, scale


def line_beliefs(lay: Layout, ideal: np.ndarray, above: np.ndarray, share: np.ndarray) -> np.ndarray:
    """(R, A, C) the information channel's first beliefs of the party about each other party's
    red line (above) on each clause: the true line plus the drawn share of the way to the party's
    own ideal (0 knows it; 1 believes nothing it asks for is ruled out).  Rows of the party itself
    and of parties away from the table stay at 1 (they rule nothing out)."""
    beliefs = np.ones(above.shape)
    ch = lay.scenario.channels
    if ch.information != "on":
        return beliefs
    p = lay.actors.index(ch.party)
    hope = np.maximum(ideal[:, p, None, :] - above, 0.0)  # how far its ideal lies beyond each line
    others = lay.required.copy()
    others[p] = False
    beliefs[:, others] = (above + share[:, p, None, None] * hope)[:, others]
    return beliefs


def line_learning(lay: Layout, share: np.ndarray) -> np.ndarray:
    """(R,) the information channel's learning weight: how far a refusal moves the party's belief
    about a line toward what the other has shown it admits, the protocol's belief_update times the
    party's drawn uncertainty (its red_line_belief share).  A party that started knowing the lines
    (share 0) learns nothing from a refusal, which then tells it nothing it did not know; without
    the factor it talked itself below the true lines and walked out of talks it could have closed."""
    ch = lay.scenario.channels
    if ch.information != "on":
        return np.zeros(share.shape[0])
    return lay.scenario.protocol.belief_update * share[:, lay.actors.index(ch.party)]


def believer(lay: Layout) -> int:
    """Index of the party that holds beliefs about the others' red lines, or -1."""
    ch = lay.scenario.channels
    return lay.actors.index(ch.party) if ch.information == "on" else -1
