"""The answer per channel (`negsim channels A B`; docs/model.md, sections 3.11 and 5.6): A and B
under each of the agenda's channels alone and all together, on common random numbers.

Each channel is a switch of the scenario (schema `channels.*`), applied to both scenarios like a
structural variant (experiments.variants); the switches' inputs are already in the scenario, on
the second stream of random numbers, so every variant of every scenario draws the same numbers
for run i and B - A pairs run by run.  Per channel it gives what `robust` gives per variant
(shares of A and B and B - A in agreement, walkout and talks persisting by day 69, day 182 and
the horizon, paired), and the breakeven (analysis.breakeven): the level of the party's outside
option, as a share of the worth of its best package inside the others' red lines in A without
channels, at which P(agreement by the horizon) is 50%, in A and in B.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from analysis.breakeven import paired_breakeven
from analysis.metrics import hits
from analysis.pairing import Draws, Pairing
from sim import schema
from sim.engine import Compiled
from sim.params import draw_params
from sim.preferences import best_packages, utilities
from sim.scenario import Scenario, ScenarioError

from .robust import ended, variant_rows
from .runner import batches
from .variants import Variant, apply


@dataclass(frozen=True)
class Channel:
    name: str
    changes: tuple[tuple[str, str], ...]
    what: str  # one line: what turning it on means


CHANNELS = (
    Channel("none", (), "every channel off: the model as shipped"),
    Channel("information", (("channels.information", "on"),),
            "the party does not know the others' red lines and learns them; an excluded clause settles its belief"),
    Channel("reference: drafts", (("channels.reference", "drafts"),),
            "the party counts every shortfall from its drafts as a loss, times its loss aversion"),
    Channel("reference: agenda", (("channels.reference", "agenda"),),
            "the party's reference is the agenda the talks accepted: an excluded clause is no loss"),
    Channel("face", (("channels.face", "on"),), "an excluded public demand moves the party's outside option"),
    Channel("weight: renormalise", (("channels.weight", "renormalise"),),
            "an excluded clause's weight is dropped and the rest renormalised"),
    Channel("weight: move", (("channels.weight", "move"),),
            "an excluded clause's weight moves to the demand the party names (excluded_to)"),
    Channel("linkage", (("channels.linkage", "on"),),
            "with the clauses named in relax_when_off excluded, the others' red lines relax"),
    Channel("all", (("channels.information", "on"), ("channels.reference", "agenda"), ("channels.face", "on"),
                    ("channels.weight", "move"), ("channels.linkage", "on")),
            "information, reference: agenda, face, weight: move and linkage together"),
)


@dataclass(frozen=True)
class ChannelAnswer:
    table: pd.DataFrame  # robust's rows (variant = channel) plus one row per channel of metric "breakeven"
    party: str
    breakeven_x: str  # what the breakeven's level measures, in words


def check(sa: Scenario, sb: Scenario) -> str:
    """The channels' party (both scenarios must name the same one), or a ScenarioError."""
    parties = {sc.channels.party for sc in (sa, sb)}
    if None in parties or len(parties) > 1:
        raise ScenarioError(sa.path if sa.channels.party is None else sb.path, "channels.party",
                            "both scenarios must name the same party whose demands the agenda can exclude "
                            f"(found {sorted(str(p) for p in parties)}); allowed: an actor id")
    return parties.pop()


def outside_option_share(sa: Scenario, party: str, runs: int, seed: int) -> np.ndarray:
    """Per run: the party's drawn outside option on day 0 over the worth of its best package inside
    the others' red lines, in A with every channel off (one yardstick for every channel)."""
    plain = apply(sa, defaults(), "none")
    plan = Compiled.from_scenario(plain).plan
    p = draw_params(plan, plan.uniforms(seed, 0, runs))
    lay = plan.layout
    i = lay.actors.index(party)
    best = best_inside_all_lines(p, lay, i)
    return p.outside_option[:, i] / np.where(best > 0, best, np.nan)


def best_inside_all_lines(p, lay, i: int) -> np.ndarray:
    """(R,) the worth to actor i of its best package inside the red lines of every party at the
    table and the agenda: what it could get if the others gave all their lines allow (its own
    best package, p.best_possible, ignores the others' lines)."""
    at_table = lay.required
    high = np.minimum(np.where(at_table[None, :, None], p.above, 1.0).min(axis=1), p.upper)  # (R, C)
    low = np.minimum(np.where(at_table[None, :, None], p.below, 0.0).max(axis=1), high)
    x = best_packages(p.ideal, p.salience, lay.mixing, low[:, None, :], high[:, None, :])[:, i, :]
    return utilities(x, p.ideal, p.salience, lay.mixing)[:, i]


def defaults() -> tuple[tuple[str, str], ...]:
    """Every channel switch at its schema default (off)."""
    return tuple((f"channels.{k}", schema.field(f"channels.{k}").default)
                 for k in ("information", "reference", "face", "weight", "linkage"))


def channels(sa: Scenario, sb: Scenario, runs: int, seed: int,
             progress: Callable[[int], None] = lambda n: None) -> ChannelAnswer:
    """A and B under every channel of CHANNELS (module doc)."""
    party = check(sa, sb)
    x = outside_option_share(sa, party, runs, seed)
    rows = []
    for ch in CHANNELS:
        changes = defaults() + ch.changes  # from every channel off, whatever the files set
        va, vb = apply(sa, changes, ch.name), apply(sb, changes, ch.name)
        ends = []
        for sc in (va, vb):
            ends.append(ended(list(batches(sc, runs, seed))))
            progress(runs)
        pairing = Pairing(*(Draws(seed, Compiled.from_scenario(sc).plan.n_uniforms, np.arange(runs)) for sc in (va, vb)))
        v = Variant(ch.name, ch.changes, ch.what)
        rows += variant_rows(v, max(va.protocol.horizon_days, vb.protocol.horizon_days), ends[0], ends[1], pairing, runs)
        deal_a, deal_b = (hits("agreement", o) for o, _ in ends)
        ok = np.isfinite(x)
        be = paired_breakeven(x[ok], deal_a[ok], deal_b[ok], seed)
        rows.append({"variant": ch.name, "weight": 1.0, "reason": ch.what, "day": float("nan"), "metric": "breakeven",
                     "a": be.a, "a_low": float("nan"), "a_high": float("nan"), "b": be.b, "b_low": float("nan"),
                     "b_high": float("nan"), "difference": be.difference.value, "low": be.difference.low,
                     "high": be.difference.high, "paired": True,
                     "method": f"logistic fit, paired percentile bootstrap ({be.located} resamples located)"})
    table = pd.DataFrame(rows).rename(columns={"variant": "channel"})
    return ChannelAnswer(table, party, f"{party}'s outside option on day 0 as a share of the worth of its best "
                         f"package inside the others' red lines ({sa.name}, every channel off)")
