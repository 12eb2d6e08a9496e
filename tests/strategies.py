"""Shared Hypothesis strategies: random small scenario documents."""

from hypothesis import strategies as st

from tests.factory import actor, pref

unit = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def scenario_docs(draw, max_clauses: int = 4):
    n_c = draw(st.integers(1, max_clauses))
    n_a = draw(st.integers(2, 3))
    clauses = [f"c{i}" for i in range(n_c)]
    actors = [f"a{i}" for i in range(n_a)]
    doc = {
        "meta": {"name": "random"},
        "protocol": {"round_days": 7, "horizon_days": 7 * draw(st.integers(1, 25)), "source": "judgement [negsim-calibration]: test",
                     "proposer": draw(st.sampled_from(["rotation", "random"])),
                     "package": draw(st.sampled_from(["joint", "separate"]))},
        "instruments": {"i0": {"signatories": actors[:2]}, "i1": {"signatories": actors}},
        "clauses": {c: {"instruments": [draw(st.sampled_from(["i0", "i1"]))]} for c in clauses},
        "actors": {},
    }
    for a in actors:
        prefs = {}
        for c in clauses:
            ideal = draw(unit)
            above = draw(st.one_of(st.none(), st.floats(ideal, 1.0)))
            below = draw(st.one_of(st.none(), st.floats(0.0, ideal)))
            # an actor at the table must care about something (validation refuses it otherwise)
            salience = draw(st.floats(0.0, 2.0)) + (0.01 if c == "c0" else 0.0)
            prefs[c] = pref(ideal, salience, above, below)
        doc["actors"][a] = actor(
            prefs, outside_option={"dist": "uniform", "low": 0.0, "high": draw(st.floats(0.0, 0.8))},
            deadline=draw(st.integers(1, 20)), kind=draw(st.sampled_from(["time_dependent", "responsive"])),
            offer=draw(st.sampled_from(["linkage", "uniform"])),
            walkout=draw(st.sampled_from([["outside_option"], ["outside_option", "impatience"], []])),
            belief_noise=draw(st.floats(0.0, 0.5)),
        )
    off = draw(st.lists(st.sampled_from(clauses), unique=True, max_size=n_c - 1))
    caps = {c: draw(unit) for c in draw(st.lists(st.sampled_from(clauses), unique=True)) if c not in off}
    doc["agenda"] = {"off": off, "caps": caps, "source": "judgement [negsim-calibration]: test"}
    return doc
