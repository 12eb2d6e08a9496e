"""Why a scenario with a party that gains from no deal ends in walkouts: one line, for `run`,
`compare` and the report.

A party at the table whose best package is the status quo (Ukraine with a veto, in
`ukraine_veto.toml`) says no to every package that moves a clause it weighs until its
aspiration comes down (a time-dependent strategy: toward its deadline).  An offer counts as held
by another party only once every party has voted for it (docs/model.md 3.6), so meanwhile the
others hold nothing, and an impatience rule reads that as no concession at all.  Measured on
runs (docs/model.md 5.4): these are the model's rules at work, not a finding about the talks.
"""

from __future__ import annotations

import pandas as pd

from sim.codes import Outcome
from sim.diagnostics import status_quo_holders
from sim.scenario import Scenario

from .stats import share_words


def holdout_line(sc: Scenario, runs: pd.DataFrame) -> str | None:
    """The sentence for a scenario with such a party whose runs end in others' impatience
    walkouts; None otherwise."""
    holders = status_quo_holders(sc)
    if not holders:
        return None
    o = runs["outcome"].astype(str)
    w = runs[(o == Outcome.WALKOUT) & (runs["walkout_rule"].astype(str) == "impatience")
             & ~runs["walkout_by"].astype(str).isin(holders)]
    if w.empty:
        return None
    walker = str(w["walkout_by"].astype(str).value_counts().index[0])
    mine = w[w["walkout_by"].astype(str) == walker]
    share = len(mine) / len(runs)
    who = " and ".join(holders)
    return (f"Why {walker} walks out in {sc.name}: {who} votes on every package and is best off with no deal (the status quo is its best package), "
            f"so it says no to any package that moves a clause it weighs until its concession curve comes down; until "
            f"then no offer counts as held by {walker} (an offer counts once every party has voted for it), and "
            f"{walker}'s impatience rule reads that as no concession: it walks out by impatience in {share_words(share)} of "
            f"runs, half of them by day {mine['days'].median():g}. The model's rules at work, not a finding about "
            "the talks (docs/model.md, section 5.4, gives what other rules give).")
