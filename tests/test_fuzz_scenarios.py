"""Fuzzed scenario files (issue 11, item 6): every malformed file is refused with one clear line.

A fixed-seed sample of mutations of the shipped scenarios (tests/fuzz_scenarios.py builds and
classifies them; scripts/fuzz_scenarios.py runs big campaigns).  Each case runs load_scenario in
a forked child with a time and memory cap, and, if it loads, build_layout and a 2-run simulation.
"""

from collections import Counter

from tests import fuzz_scenarios as fz

SEED = 20261129
N = 300


def test_generator_is_seeded_and_covers_every_class():
    shipped = fz.load_shipped()
    a = fz.generate(N, SEED, shipped=shipped)
    b = fz.generate(N, SEED, shipped=shipped)
    assert [(m.label, m.target, m.files) for m in a] == [(m.label, m.target, m.files) for m in b]
    assert {m.cls for m in a} == set(fz.GENERATORS)
    assert {m.verdict for m in a} == {"refuse", "either", "load"}
    assert fz.mutation(SEED, 17, a[17].cls, shipped).files == a[17].files  # one case rebuilt alone
    for m in a:  # a mutation changes something (identity cases are the control group)
        if m.cls != "identity":
            assert any(shipped.raw.get(n) != data for n, data in m.files.items()), m.note


def test_fuzzed_scenarios_give_no_traceback_no_silent_accept_no_bad_message():
    mutations = fz.generate(N, SEED)
    with fz.scratch_dir() as root:  # tmpfs when there is one: an extends chain is 1,200+ files
        outcomes = fz.run(mutations, root, jobs=2, timeout=10.0, mem_headroom=2 << 30, keep="none")
    found = Counter(o.category for o in outcomes)
    report = "\n".join(fz.describe(o) for o in outcomes if o.failed)
    assert {k: found.get(k, 0) for k in fz.FAILURES} == {k: 0 for k in fz.FAILURES}, \
        f"{fz.summary(outcomes)}\n{report}"
