"""Integer codes shared by the compiled kernel and the Python side (no heavy imports here)."""

ONGOING, AGREEMENT, WALKOUT = 0, 1, 2  # outcome of a run
OUTCOME_NAMES = {ONGOING: "ongoing", AGREEMENT: "agreement", WALKOUT: "walkout"}
TIME_DEPENDENT, RESPONSIVE, EQUILIBRIUM = 1, 2, 3  # concession strategies (strategies.py)
OUTSIDE_OPTION, IMPATIENCE = 1, 2  # walkout rules (walkout.py); 0 = no rule
# An actor's strategy parameter row, in column order: each strategy reads the columns it needs
# (kernel.BETA, ... must agree).  The kernel sees it as KernelParams.strategy_params (R, A, K).
STRATEGY_PARAMS = ("beta", "kappa", "gamma", "partner_patience")
