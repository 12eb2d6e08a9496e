"""Integer codes shared by the compiled kernel and the Python side (no heavy imports here)."""

from enum import StrEnum


class Outcome(StrEnum):
    """How a run ended, as run tables and reports name it (a str: it compares equal to the label)."""

    ONGOING = "ongoing"  # still talking at the horizon
    AGREEMENT = "agreement"
    WALKOUT = "walkout"


ONGOING, AGREEMENT, WALKOUT = 0, 1, 2  # the kernel's integer codes of the same outcomes
OUTCOME_NAMES = {ONGOING: Outcome.ONGOING, AGREEMENT: Outcome.AGREEMENT, WALKOUT: Outcome.WALKOUT}
TIME_DEPENDENT, RESPONSIVE, EQUILIBRIUM = 1, 2, 3  # concession strategies (strategies.py)
BARON_FEREJOHN = 4
OUTSIDE_OPTION, IMPATIENCE = 1, 2  # walkout rules (walkout.py); 0 = no rule
# An actor's strategy parameter row, in column order: each strategy reads the columns it needs
# (kernel.BETA, ... must agree).  The kernel sees it as KernelParams.strategy_params (R, A, K).
STRATEGY_PARAMS = ("beta", "kappa", "gamma", "partner_patience", "parties")
