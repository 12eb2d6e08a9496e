"""How a run ended: the labels run tables and reports use, and the kernel's integer codes for
them (no heavy imports here).  The codes of strategies, walkout rules and offer rules are their
positions in the registries of `schema.py`."""

from enum import StrEnum


class Outcome(StrEnum):
    """How a run ended, as run tables and reports name it (a str: it compares equal to the label)."""

    ONGOING = "ongoing"  # still talking at the horizon
    AGREEMENT = "agreement"
    WALKOUT = "walkout"


ONGOING, AGREEMENT, WALKOUT = 0, 1, 2  # the kernel's integer codes of the same outcomes
OUTCOME_NAMES = {ONGOING: Outcome.ONGOING, AGREEMENT: Outcome.AGREEMENT, WALKOUT: Outcome.WALKOUT}
