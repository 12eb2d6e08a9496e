"""negsim: run, compare and validate negotiation scenarios.

A command's grammar (its arguments, defaults and description) is apart from what it does: the
parser is built from negsim/grammar.py alone, so `negsim --help`, `negsim COMMAND --help` and a
usage error import no command module, no numpy and no model.  One module per command does the
work; it is imported when its command runs (the parser's `func` is a grammar.Later reference),
and imports what it uses at its top.  Errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from analysis.study import QUESTION, REPLIES_DAY, RUSSIA_REPLY_DAY, TALKS_ENDED_DAY
from storage.outdir import COMMITTED
from storage.text import term_line

from . import grammar
from .common import (GuardedStdout, Terminated, UsageError, error_text, interrupted, say, silence_stdout,
                     terminate_as_interrupt)

# Command -> (its grammar, the line `negsim --help` shows for it).  The grammar function adds the
# command's arguments and description and sets func, which imports the command's module,
# negsim.<command>, when it runs.  Modules are imported through importlib: negsim.run, .compare,
# .robust, .explain and .sweep share their names with the Python API's functions
# (negsim/__init__.py).
COMMANDS = {
    "run": (grammar.run, "Monte Carlo batch of one scenario: summary table, per-run table, figure"),
    "compare": (grammar.compare, "two or more scenarios side by side, each against the first, with intervals"),
    "solve": (grammar.solve, "what bargaining theory predicts for a scenario (zone of agreement, Nash and "
              "Kalai-Smorodinsky packages)"),
    "backtest": (grammar.backtest, f"the outcome distribution by days {REPLIES_DAY}, {RUSSIA_REPLY_DAY} and "
                 f"{TALKS_ENDED_DAY} next to the record (no deal; talks ended by day {TALKS_ENDED_DAY}), and the "
                 "probability of the record"),
    "robust": (grammar.robust, "the answer A vs B under structural variants (proposer rule, packages, strategies, "
               "walkout rules, ...): the shipped model's sign, how many variants share it, and their spread"),
    "channels": (grammar.channels, "the answer A vs B per channel of the agenda (information, reference point, "
                 "face, weight, linkage), on the same draws, with paired intervals and the breakeven outside option"),
    "discover": (grammar.discover, "scenario discovery (PRIM): the drawn inputs under which an outcome "
                 "concentrates, in plain words"),
    "explain": (grammar.explain, "which concession would most change the outcome: each demand conceded alone and "
                "its Shapley value (or: the edits between two scenarios)"),
    "explore": (grammar.explore, "interactive explorer in the browser: change the settings, step one run, see the "
                "outcome distribution (needs the 'explore' extra)"),
    "sweep": (grammar.sweep, "parameter sweep / sensitivity analysis (grid, lhs, sobol, morris); resumable"),
    "plot": (grammar.plot, "one figure from results files (or a sweep table)"),
    "report": (grammar.report, "one self-contained HTML report (tables and figures) of results files"),
    "elicit": (grammar.elicit, "expert judgements (a CSV table) -> a scenario overlay: fit, pool, write"),
    "reweight": (grammar.reweight, "the answer under another prior for some drawn inputs, without rerunning "
                 "(importance weights over a run table)"),
    "validate": (grammar.validate, "check scenario files and say what is wrong, or that they are fine"),
}
EVERY = "*"  # build_parser: every command with its arguments


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(named(argv))
    args = parser.parse_args(argv)
    COMMITTED.clear()  # what this command writes decides the line after an interrupt
    stdout = sys.stdout
    sys.stdout = guarded = GuardedStdout(stdout)
    try:
        with terminate_as_interrupt():
            rc = _run(args)
    finally:
        sys.stdout = stdout
    if guarded.failed is not None and rc in (0, 141):  # the work went on; say once that stdout could not
        say(f"negsim: error: {error_text(guarded.failed)}")
        return 2
    return rc


def named(argv: list[str]) -> str:
    """The command the arguments name ('' for none: `negsim`, `negsim --help`); negsim itself
    takes no option but --help, so it is the first argument."""
    return argv[0] if argv and not argv[0].startswith("-") else ""


def _run(args) -> int:
    try:
        rc = args.func(args)
        sys.stdout.flush()  # a full stdout fails here at the latest
        return rc
    except BrokenPipeError:  # e.g. `negsim run ... | head`: results are already written; stop quietly
        silence_stdout()
        return 141
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (common.Terminated)
        say(interrupted(exc))
        return 143 if isinstance(exc, Terminated) else 130
    except (UsageError, ValueError, OSError) as exc:  # ScenarioError is a ValueError
        say(f"negsim: error: {error_text(exc)}")
        return 2
    except RecursionError as exc:
        say(f"negsim: error: {term_line(exc)} (input nested too deeply)")
        return 2


class Parser(argparse.ArgumentParser):
    """argparse with its usage errors on one line, like every other error."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {term_line(message)} (see {self.prog} --help)\n")


def build_parser(command: str = EVERY) -> argparse.ArgumentParser:
    """The command line: every command listed with its line of help; the named command (or, by
    default, every command) with its arguments (from its grammar: no command module is imported)."""
    p = Parser(prog="negsim", description="Negotiation position simulator for the "
               "December 2021 Russia-US-NATO security-guarantee drafts. " + QUESTION)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (arguments, line) in COMMANDS.items():
        parser = sub.add_parser(name, help=line)
        if command in (EVERY, name):
            arguments(parser)
    return p
