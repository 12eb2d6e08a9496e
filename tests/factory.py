"""Small synthetic scenarios for tests, written as real TOML files and loaded the normal way."""

from __future__ import annotations

import copy
from pathlib import Path

import tomli_w

from sim.scenario import Scenario, load_scenario

TEST_SOURCE = "judgement [negsim-calibration]: a test fixture"


def pref(ideal, salience=1.0, above=None, below=None) -> dict:
    p = {"ideal": ideal, "salience": salience, "source": TEST_SOURCE}
    rl = {}
    if above is not None:
        rl["above"] = above
    if below is not None:
        rl["below"] = below
    if rl:
        p["red_line"] = rl
    return p


def actor(prefs: dict, outside_option=0.0, deadline=10, kind="time_dependent", **extra) -> dict:
    a = {"outside_option": outside_option, "deadline_days": 7 * deadline, "strategy": {"kind": kind},
         "source": TEST_SOURCE, "clauses": prefs}
    a.update(extra)
    return a


def two_party(a_prefs: dict, b_prefs: dict, clauses=("x", "y"), horizon=20, **protocol) -> dict:
    """A two-actor, one-instrument scenario document."""
    return {
        "meta": {"name": "toy"},
        "protocol": {"round_days": 7, "horizon_days": 7 * horizon, "source": TEST_SOURCE, **protocol},
        "instruments": {"deal": {"signatories": ["a", "b"]}},
        "clauses": {c: {"instruments": ["deal"]} for c in clauses},
        "actors": {"a": actor(a_prefs), "b": actor(b_prefs)},
    }


def write(tmp_path: Path, doc: dict, name: str = "toy.toml") -> Path:
    path = tmp_path / name
    path.write_text(tomli_w.dumps(doc))
    return path


def load(tmp_path: Path, doc: dict, name: str = "toy.toml") -> Scenario:
    return load_scenario(write(tmp_path, doc, name))


def with_changes(doc: dict, **paths) -> dict:
    """Copy of doc with dotted paths set, e.g. with_changes(d, **{"agenda.off": ["y"]})."""
    out = copy.deepcopy(doc)
    for dotted, value in paths.items():
        *head, last = dotted.split(".")
        t = out
        for h in head:
            t = t.setdefault(h, {})
        t[last] = value
    return out
