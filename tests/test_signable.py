"""The check that no package anyone could sign changes between two scenarios (analysis.signable),
on hand-made scenarios where it must fire and where it must not."""


from analysis.signable import same_signable_packages
from tests.factory import TEST_SOURCE, load, pref, two_party, with_changes


def _pair(tmp_path, a_doc, b_doc):
    return load(tmp_path, a_doc, "a.toml"), load(tmp_path, with_changes(b_doc, **{"meta.name": "b"}), "b.toml")


def base(b_above_y=0.0):
    # actor a wants y = 1; b's red line holds y at or below b_above_y
    return two_party({"x": pref(1.0), "y": pref(1.0)}, {"x": pref(0.0), "y": pref(0.0, above=b_above_y)})


def test_fires_when_a_red_line_already_holds_the_clause_taken_off(tmp_path):
    """b's red line holds y at 0, so taking y off the table (held at 0) changes no box."""
    doc = base(0.0)
    a, b = _pair(tmp_path, doc, with_changes(doc, **{"agenda.off": ["y"], "agenda.source": TEST_SOURCE}))
    v = same_signable_packages(a, b, root_seed=3, n_draws=50)
    assert v is not None and v.draws == 50 and v.changed == ("y",) and v.empty == 0
    assert v.held_by == {"y": (0.0, ("b",))}
    line = v.line("A", "B")
    assert "y at 0 (b)" in line and "every one of 50 draws" in line and "same with A and with B" in line


def test_fires_for_a_cap_at_the_red_line_and_for_identical_scenarios(tmp_path):
    doc = base(0.4)
    a, b = _pair(tmp_path, doc, with_changes(doc, **{"agenda.caps": {"y": 0.4}, "agenda.source": TEST_SOURCE}))
    v = same_signable_packages(a, b, 1, 20)
    assert v is not None and v.held_by == {"y": (0.4, ("b",))}
    same = same_signable_packages(*_pair(tmp_path, doc, doc), 1, 20)
    assert same is not None and same.changed == () and "By construction: in every one of 20 draws" in same.line("A", "B")


def test_does_not_fire_when_the_agenda_cuts_into_what_could_be_signed(tmp_path):
    """b would accept y up to 0.4; off the table, y is held at 0: the box shrinks."""
    doc = base(0.4)
    a, b = _pair(tmp_path, doc, with_changes(doc, **{"agenda.off": ["y"], "agenda.source": TEST_SOURCE}))
    assert same_signable_packages(a, b, 3, 50) is None


def test_does_not_fire_when_only_some_draws_are_held(tmp_path):
    """b's red line drawn from U(0, 0.2): a cap at 0.1 binds in about half of the draws."""
    doc = base({"dist": "uniform", "low": 0.0, "high": 0.2})
    a, b = _pair(tmp_path, doc, with_changes(doc, **{"agenda.caps": {"y": 0.1}, "agenda.source": TEST_SOURCE}))
    assert same_signable_packages(a, b, 3, 200) is None
    # and with a cap at 0.2 or above it never binds
    a, b = _pair(tmp_path, doc, with_changes(doc, **{"agenda.caps": {"y": 0.2}, "agenda.source": TEST_SOURCE}))
    assert same_signable_packages(a, b, 3, 200) is not None


def test_does_not_claim_anything_across_other_draws(tmp_path):
    """Another horizon gives each run another row of random numbers: no draw-by-draw claim."""
    doc = base(0.0)
    a, b = _pair(tmp_path, doc, with_changes(doc, **{"protocol.horizon_days": 7 * 30}))
    assert same_signable_packages(a, b, 3, 20) is None


def test_says_when_nothing_can_be_signed_in_either(tmp_path):
    """a's red line wants y at least 0.5, b's holds it at most 0.3: no package in either."""
    doc = two_party({"x": pref(1.0), "y": pref(1.0, below=0.5)}, {"x": pref(0.0), "y": pref(0.0, above=0.3)})
    a, b = _pair(tmp_path, doc, with_changes(doc, **{"agenda.caps": {"x": 0.5}, "agenda.source": TEST_SOURCE}))
    v = same_signable_packages(a, b, 3, 30)
    assert v is not None and v.empty == 30 and "in 30 of them no package can be signed at all" in v.line("A", "B")
