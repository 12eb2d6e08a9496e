"""Every scenario field, declared once.

One row per key a scenario file may hold: its dotted path (``*`` stands for an id the file
chooses: an actor, a clause, an instrument), what kind of value it takes, its unit, default,
allowed range or choices, whether it is drawn afresh per run (a number or a distribution) and
so can be swept, and one line of documentation.  The loader (`scenario.py`), its error
messages, the sweep paths (`overrides.py`), the per-run draws (`params.py`) and the field
reference in docs/fields.md all read this table; nothing else lists scenario keys.

Kinds:
    table    a TOML table of the fields listed under it
    number   a number in [low, high];  integer: a whole number
    drawn    a number, or a distribution table {dist = ..., ...} or {value = N}, drawn per run;
             its whole support must lie in [low, high]
    choice   one of `choices`;  choices: a list of them
    text     free text (tabs and new lines allowed, no other control characters);  name: a short
             identifier-like text
    ids      a list of ids of the kind `ids` names
    days     a list of days in [low, high], strictly increasing
    weights  a table id -> number in [low, high] (may carry its own `source`)
    scale    a table position in [0, 1] -> text
    source   where the numbers of its table come from: "<class> [<id>, ...]: <note>"
    (other file formats' tables, e.g. experiments/sweep_file.py, also use:)
    flag     true or false
    list     a non-empty list (its elements are checked by the format's loader)
    file     text naming a .toml file, relative to the file that names it (confined by the loader)
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from .distributions import DIST_FIELDS

REQUIRED = "required"
OWN_ID = "its id"  # default of a text key that takes the id of its own table (an actor's name and side)
COLLECTIONS = ("ids", "weights", "days", "choices")  # kinds whose absent value is empty, not None
MAX_TEXT = 2000  # characters in a free-text field
MAX_NAME = 80  # characters in a scenario name (it names output folders and figure titles)
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # an id under a '*' key (actor, clause, ...)
ID_DOC = "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"


@dataclass(frozen=True)
class Field:
    path: str
    kind: str
    doc: str
    unit: str = ""
    default: Any = None  # None: optional, no value; REQUIRED: must be given
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    ids: str = ""  # for ids/weights and for a '*' key: which ids ("actor", "clause", ...)
    # Which stream of a run's random numbers a drawn field takes its uniform from: 0, the row every
    # field had before the agenda's channels; 1, a second row for the channels' inputs, so that a
    # scenario without them draws every other number exactly as before (sim/seeding.py).
    stream: int = 0

    @property
    def drawn(self) -> bool:
        """Drawn afresh in every run, so a sweep can fix it."""
        return self.kind == "drawn"

    @property
    def key(self) -> str:
        return self.path.rpartition(".")[2]

    @property
    def parent(self) -> str:
        return self.path.rpartition(".")[0]


@dataclass(frozen=True)
class Part:
    """A compiled part a scenario selects by name: a concession strategy, a walkout rule or an
    offer rule.  Its code (its position in its registry, from 1) is its branch in the kernel's
    dispatch (sim/kernel/); adding a part is a row here plus one compiled function there."""

    name: str
    doc: str
    parameters: tuple[str, ...] = ()  # strategies: the actors.*.strategy.* fields it reads
    reacts_to_others: bool = False  # strategies: reads how far the others conceded (the kernel works it out)
    role_aware: bool = False  # strategies: asks differently as proposer and as responder
    reference: bool = False  # strategies: a closed form of theory for docking tests, not a description of behaviour


def _registry(*parts: Part) -> dict[str, tuple[int, Part]]:
    return {p.name: (code, p) for code, p in enumerate(parts, start=1)}


STRATEGIES = _registry(
    Part("time_dependent", "Faratin et al. (1998): from its best package to its outside option over its deadline "
         "(beta < 1 Boulware, 1 linear, > 1 Conceder), after an opening concession kappa", ("beta", "kappa")),
    Part("responsive", "tit-for-tat on a clock: an opening concession kappa, then gamma times the largest "
         "concession any single other party has made to it, and never less than the time-dependent concession "
         "with its beta and deadline", ("beta", "gamma", "kappa"), reacts_to_others=True),
    Part("equilibrium", "Rubinstein (1982): the subgame-perfect share for two parties under complete information "
         "(a reference for docking tests)", ("partner_patience",), role_aware=True, reference=True),
    Part("baron_ferejohn", "Baron and Ferejohn (1989), unanimity: the stationary ask with `parties` recognised with "
         "equal chance (a reference for docking tests)", ("parties",), role_aware=True, reference=True),
)
WALKOUT_RULES = _registry(
    Part("outside_option", "walk out when even the best package the agenda allows is worth less than walking away"),
    Part("impatience", "walk out when waiting for the others' concessions, at their pace and discounted, cannot beat "
         "walking away before the deadline"),
)
OFFER_RULES = _registry(
    Part("linkage", "concede first where it cares least and the others most (issue linkage)"),
    Part("uniform", "concede the same share of the way on every clause"),
    Part("divide", "with protocol.budget: keep on its own clauses what its aspiration needs and share the rest "
         "equally over the other clauses"),
)


def code(registry: dict[str, tuple[int, Part]], name: str) -> int:
    """A part's code in its registry (the kernel's dispatch compares against it)."""
    return registry[name][0]


def names(registry: dict[str, tuple[int, Part]]) -> dict[int, str]:
    """Code -> name, e.g. to label a run's walkout rule."""
    return {c: name for name, (c, _) in registry.items()}


RULE_NAMES = names(WALKOUT_RULES)  # a run's walkout rule code -> its name


EVENT_KINDS = ("cap", "outside_option", "red_line", "offer")
EVENT_FIELDS = {"cap": ("clause", "cap"), "outside_option": ("actor", "shift"), "red_line": ("actor", "clause"),
                "offer": ("actor",)}  # what each kind requires; red_line also needs above or below
EVENT_OPTIONAL = {"red_line": ("above", "below"), "offer": ("package", "with")}
SOURCE_DOC = "where this table's numbers come from: \"<record|literature|elicitation|judgement> [<id>, ...]: <note>\""

# Order matters twice: it is the order of the field reference, and drawn fields are given their
# columns of a run's uniform numbers in this order (per actor: clause fields clause by clause,
# then actor fields), so reordering drawn fields changes every run's numbers.
FIELDS: tuple[Field, ...] = (
    Field("extends", "text", "file this scenario is based on (a .toml beside it; a bare file name not there is taken from the shipped "
          "scenarios/): "
          "its tables merge key by key, distributions are replaced whole"),
    Field("remove", "removals", "dotted keys of inherited tables to drop, e.g. [\"actors.nato\"] or "
          "['actors.us.clauses.\"us.1\"']"),
    Field("meta", "table", "name and description"),
    Field("meta.name", "name", "scenario name (names output files and figures)"),
    Field("meta.description", "text", "one line on what the scenario changes"),
    Field("meta.source", "source", SOURCE_DOC),
    Field("protocol", "table", "how the talks run", default=REQUIRED),
    Field("protocol.round_days", "number", "days between two rounds (meetings); every other time quantity is in "
          "calendar time, so this only says how often the parties meet", "days", REQUIRED, 1e-3, 3650),
    Field("protocol.horizon_days", "number", "day (after 17 Dec 2021) after which talks still going count as ongoing",
          "days", REQUIRED, 1, 36_500),
    Field("protocol.meeting_days", "days", "days of the first meetings, in increasing order (a calendar of record); "
          "after the last, meetings follow every round_days up to horizon_days. Default: every round_days from day 0",
          "days", None, 0.0, 36_500),
    Field("protocol.proposer", "choice", "who proposes at a meeting: one party, in turn (`order`) or drawn with "
          "`recognition` weights; or all: every party at the table, in `order`, until one package is agreed",
          default="rotation", choices=("rotation", "random", "all")),
    Field("protocol.order", "ids", "proposing order, and the order in which walkouts are checked after a meeting; "
          "parties at the table that it omits follow in scenario order",
          ids="actor"),
    Field("protocol.recognition", "weights", "relative chance of proposing, with proposer = \"random\" (default equal)",
          low=0.0, high=1e9, ids="actor"),
    Field("protocol.package", "choice", "joint: one package for everything; separate: each instrument agreed on its own",
          default="joint", choices=("joint", "separate")),
    Field("protocol.unsigned", "choice", "how a party proposes clauses of an instrument it does not sign: allies = "
          "it tables its allies' latest position on them (parties with the same `side`); own = its own view",
          default="allies", choices=("allies", "own")),
    Field("protocol.red_lines", "choice", "whose red lines bind what: allies = a party's offers keep to the red "
          "lines of its allies at the table (same `side`) who vote on the clause, as allies who coordinate and know "
          "each other's lines, and every party's red lines bind its vote on every clause; signed = a party's red "
          "lines bind its vote only on the clauses of instruments it signs or holds a veto over (its veto is confined "
          "to its own instruments), and its offers keep to its own lines", default="allies",
          choices=("allies", "signed")),
    Field("protocol.deadline_phase", "choice", "uniform: each actor's deadline is placed within its meeting interval "
          "by a phase drawn per run (deadline + (phase - 1/2) round_days), since the talks act only on meeting days; "
          "none: the drawn day as it is (for comparisons with closed forms of theory)", default="uniform",
          choices=("uniform", "none")),
    Field("protocol.budget", "number", "divide-the-budget games: the positions of a package sum to at most this "
          "(every party at the table then uses offer = \"divide\"; one joint package)", "position", None, 1e-6, 1e6),
    Field("protocol.belief_update", "number", "weight of a new offer in the estimate of its proposer's position",
          "share", 0.5, 0.0, 1.0),
    Field("protocol.source", "source", SOURCE_DOC, default=REQUIRED),
    Field("events", "table", "dated events, each under a name the file chooses: from its day on, a clause's cap, "
          "a shift of an actor's outside option, a new red line; or an offer a party tables at the meeting that day"),
    Field("events.*", "table", "one event", ids="event"),
    Field("events.*.day", "number", "day it happens (after 17 Dec 2021); it holds from the first meeting on or after "
          "it; an offer's day must be a meeting day", "days", REQUIRED, 0.0, 36_500),
    Field("events.*.kind", "choice", "cap: the clause's highest value becomes `cap` (0 takes it off, more puts it "
          "back); outside_option: `shift` is added to the actor's outside option; red_line: the actor's red line "
          "on the clause becomes `above` and/or `below`; offer: the actor tables `package` (or, without one, its own "
          "offer) and is the meeting's only proposer", default=REQUIRED, choices=EVENT_KINDS),
    Field("events.*.actor", "name", "outside_option, red_line: whose; offer: who tables it"),
    Field("events.*.clause", "name", "cap, red_line: which clause"),
    Field("events.*.cap", "number", "cap: the clause's highest value from that day", "position", None, 0.0, 1.0),
    Field("events.*.shift", "number", "outside_option: added to the outside option from that day (kept in [0, 1])",
          "utility", None, -1.0, 1.0),
    Field("events.*.above", "number", "red_line: values above this are never acceptable from that day", "position",
          None, 0.0, 1.0),
    Field("events.*.below", "number", "red_line: values below this are never acceptable from that day", "position",
          None, 0.0, 1.0),
    Field("events.*.package", "weights", "offer: the package tabled, clause = position; clauses it does not list "
          "stay at 0 (the status quo)", "position", low=0.0, high=1.0, ids="clause"),
    Field("events.*.with", "ids", "offer: parties that table it together with `actor` (each accepts it unless it "
          "crosses one of its red lines, as the proposer does)", ids="actor"),
    Field("events.*.note", "text", "what happened, in a line"),
    Field("events.*.source", "source", SOURCE_DOC, default=REQUIRED),
    Field("instruments", "table", "the documents that can be signed", default=REQUIRED),
    Field("instruments.*", "table", "one instrument", ids="instrument"),
    Field("instruments.*.name", "text", "its title"),
    Field("instruments.*.signatories", "ids", "actors or blocs that must sign it", default=REQUIRED, ids="actor or bloc"),
    Field("instruments.*.source", "source", SOURCE_DOC),
    Field("clauses", "table", "the negotiable positions, each in [0, 1]: 0 = status quo, 1 = as drafted",
          default=REQUIRED),
    Field("clauses.*", "table", "one clause", ids="clause"),
    Field("clauses.*.instruments", "ids", "instruments it belongs to", default=REQUIRED, ids="instrument"),
    Field("clauses.*.article", "text", "article of the draft it comes from"),
    Field("clauses.*.demand", "text", "what it demands, in the project's words"),
    Field("clauses.*.reply", "text", "the written reply of January 2022 on it"),
    Field("clauses.*.scale", "scale", "what positions between 0 and 1 mean"),
    Field("clauses.*.source", "source", SOURCE_DOC),
    Field("demands", "table", "named demands: clauses that express one demand (in one or both drafts); a clause "
          "in no demand is a demand of its own"),
    Field("demands.*", "table", "one demand", ids="demand"),
    Field("demands.*.name", "text", "what it asks, in a few words"),
    Field("demands.*.clauses", "ids", "its clauses (each clause belongs to at most one demand)", default=REQUIRED,
          ids="clause"),
    Field("demands.*.concede", "choice", "what conceding it means, for `negsim explain`: red_lines = every other "
          "party's red line on its clauses moves up to `concede_to` (the measure Russia asks for); off = its clauses "
          "leave the table (held at 0)", choices=("red_lines", "off")),
    Field("demands.*.concede_to", "number", "with concede = red_lines: the position the red lines move to", "position",
          1.0, 0.0, 1.0),
    Field("demands.*.source", "source", SOURCE_DOC),
    Field("agenda", "table", "what is on the table"),
    Field("agenda.off", "ids", "clauses held at 0 (status quo) in every package", ids="clause"),
    Field("agenda.caps", "weights", "highest value a clause may take in any package", "position", low=0.0, high=1.0,
          ids="clause"),
    Field("agenda.source", "source", SOURCE_DOC),
    Field("channels", "table", "how what is on the table reaches the talks (docs/model.md, section 3.11): each "
          "channel is a switch, off by default; the inputs it reads belong to `party` (the party whose demands the "
          "agenda can exclude) and, for linkage, to the others"),
    Field("channels.party", "name", "the party whose demands the agenda can exclude (an actor id)"),
    Field("channels.information", "choice", "off: `party` judges what it can get by its own red lines alone; on: it "
          "does not know the others' red lines, holds beliefs about them (`red_line_belief`) and learns from their "
          "offers and votes, and a clause off the table settles its belief at 0 (Fearon 1995)",
          default="off", choices=("off", "on")),
    Field("channels.reference", "choice", "none: utility is distance from the ideal; drafts or agenda: `party` counts "
          "falling short of a reference point as a loss weighted by its `loss_aversion` (Tversky and Kahneman 1991); "
          "the reference is its drafts as published (drafts), or the agenda the talks accepted, where a clause off "
          "the table is referenced at 0 (agenda)", default="none", choices=("none", "drafts", "agenda")),
    Field("channels.face", "choice", "off, or on: when a clause `party` demanded is off the table, its outside option "
          "moves by its `face` (either sign: audience costs, Fearon 1994)", default="off", choices=("off", "on")),
    Field("channels.weight", "choice", "where the salience of `party`'s excluded clauses goes: loss = it stays, so the "
          "clause counts as a standing loss at 0; renormalise = dropped, the rest renormalised; move = to the demand "
          "`party` names in `excluded_to`", default="loss", choices=("loss", "renormalise", "move")),
    Field("channels.linkage", "choice", "off, or on: when a clause an actor lists in `relax_when_off` is off the "
          "table, its red lines on other clauses move up by their `red_line.relax` (issue linkage, Sebenius 1983)",
          default="off", choices=("off", "on")),
    Field("channels.source", "source", SOURCE_DOC),
    Field("actors", "table", "the parties", default=REQUIRED),
    Field("actors.*", "table", "one party", ids="actor"),
    Field("actors.*.name", "text", "its full name", default=OWN_ID),
    Field("actors.*.side", "name", "its side; allies coordinate what they table on instruments they do not sign",
          default=OWN_ID),
    Field("actors.*.bloc", "name", "consensus bloc it is a group of (an instrument signed by the bloc needs every group)"),
    Field("actors.*.outside_option", "drawn", "utility of walking out, its best alternative, on day 0", "utility",
          REQUIRED, 0.0, 1.0),
    Field("actors.*.breakdown", "drawn", "its utility when another party walks out (default: its outside option "
          "then)", "utility", None, 0.0, 1.0),
    Field("actors.*.outside_option_growth", "drawn", "change of the outside option per week", "utility per 7 days",
          0.0, -1.0, 1.0),
    Field("actors.*.patience", "drawn", "discount factor per week", "factor per 7 days", 1.0, 1e-6, 1.0),
    Field("actors.*.deadline_days", "drawn", "day (after 17 Dec 2021) by which it wants a result: its concession "
          "curve reaches its end", "days", REQUIRED, 1.0, 36_500.0),
    Field("actors.*.strategy", "table", "how it concedes"),
    Field("actors.*.strategy.kind", "choice", "concession strategy: " + "; ".join(
        f"{name}: {part.doc}" for name, (_, part) in STRATEGIES.items()), default="time_dependent",
        choices=tuple(STRATEGIES)),
    Field("actors.*.strategy.beta", "drawn", "time_dependent: curve shape (< 1 Boulware, 1 linear, > 1 Conceder)", "",
          1.0, 1e-3, 100.0),
    Field("actors.*.strategy.kappa", "drawn", "opening concession: share of the way to the outside option at once",
          "share", 0.0, 0.0, 1.0),
    Field("actors.*.strategy.gamma", "drawn", "responsive: utility conceded per unit the others conceded to it", "",
          1.0, 0.0, 10.0),
    Field("actors.*.strategy.partner_patience", "drawn", "equilibrium: the other party's discount factor per week, "
          "known under complete information", "factor per 7 days", 1.0, 1e-6, 1.0),
    Field("actors.*.strategy.parties", "drawn", "baron_ferejohn: the number of parties recognised with equal "
          "chance (n)", "parties", 2.0, 1.0, 1000.0),
    Field("actors.*.strategy.source", "source", SOURCE_DOC),
    Field("actors.*.offer", "choice", "how it builds a package: " + "; ".join(
        f"{name}: {part.doc}" for name, (_, part) in OFFER_RULES.items()), default="linkage",
        choices=tuple(OFFER_RULES)),
    Field("actors.*.walkout", "choices", "walkout rules it checks, in order: " + "; ".join(
        f"{name}: {part.doc}" for name, (_, part) in WALKOUT_RULES.items()), default=("outside_option",),
        choices=tuple(WALKOUT_RULES)),
    Field("actors.*.pace_memory_days", "number", "impatience rule: days of offers over which it measures the others' "
          "recent pace of concession: two to six weeks (at least two meetings at the weekly pace, and no longer "
          "than the six weeks the written replies took)", "days", 21.0, 14.0, 42.0),
    Field("actors.*.pace_prior", "drawn", "impatience rule: the pace of concession toward it that it expects before "
          "seeing any (gain in the utility it is offered)", "utility per 7 days", 0.0, 0.0, 1.0),
    Field("actors.*.pace_prior_days", "number", "impatience rule: weight of that expectation, as days of observed "
          "offers", "days", 14.0, 0.0, 3650.0),
    Field("actors.*.belief_noise", "drawn", "sd of its initial errors about the others' positions (log-sd for saliences)",
          "position", 0.0, 0.0, 1.0),
    Field("actors.*.consent_clauses", "ids", "clauses on which it holds a veto (it must accept any instrument with one "
          "on the table)", ids="clause"),
    Field("actors.*.weighs_on", "weights", "weight of its utility inside other actors' utilities", "share",
          low=0.0, high=1.0, ids="actor"),
    Field("actors.*.status_quo", "drawn", "its value of the status quo, while talks go on and if they are still "
          "going at the horizon (default: its utility of the package at 0 on every clause)", "utility", None, 0.0, 1.0,
          stream=1),
    Field("actors.*.red_line_belief", "drawn", "channels.information: where it first believes the others' red lines "
          "are, as a share of the way from the true line to its own ideal (0: it knows them)", "share", None, 0.0,
          1.0, stream=1),
    Field("actors.*.loss_aversion", "drawn", "channels.reference: how much a shortfall below the reference point "
          "weighs against a gain above it (1: no loss aversion)", "factor", None, 1.0, 10.0, stream=1),
    Field("actors.*.face", "drawn", "channels.face: the change of its outside option when a clause it demanded is "
          "off the table", "utility", None, -1.0, 1.0, stream=1),
    Field("actors.*.excluded_to", "name", "channels.weight = move: the demand that takes the salience of its clauses "
          "off the table"),
    Field("actors.*.relax_when_off", "ids", "channels.linkage: clauses whose exclusion relaxes its red lines on "
          "others (by their `red_line.relax`)", ids="clause"),
    Field("actors.*.capability", "number", "influence on the issues: vote weight (with salience) in the expected-utility model and the baseline forecast", "", 1.0, 0.0, 1e6),
    Field("actors.*.source", "source", SOURCE_DOC),
    Field("actors.*.clauses", "table", "its preferences, clause by clause"),
    Field("actors.*.clauses.*", "table", "its preference on one clause", ids="clause"),
    Field("actors.*.clauses.*.ideal", "drawn", "its ideal position", "position", REQUIRED, 0.0, 1.0),
    Field("actors.*.clauses.*.salience", "drawn", "how much it cares (normalised to sum to 1 over its clauses); "
          "required unless a demand salience covers the clause", "weight", None, 0.0, 100.0),
    Field("actors.*.clauses.*.red_line", "table", "positions it never accepts"),
    Field("actors.*.clauses.*.red_line.above", "drawn", "values above this are never acceptable", "position",
          None, 0.0, 1.0),
    Field("actors.*.clauses.*.red_line.below", "drawn", "values below this are never acceptable", "position",
          None, 0.0, 1.0),
    Field("actors.*.clauses.*.red_line.relax", "drawn", "channels.linkage: how far the line moves up when a clause "
          "in its `relax_when_off` is off the table", "position", None, 0.0, 1.0, stream=1),
    Field("actors.*.clauses.*.red_line.source", "source", SOURCE_DOC),
    Field("actors.*.clauses.*.source", "source", SOURCE_DOC),
    Field("actors.*.demands", "table", "its saliences set per demand instead of per clause"),
    Field("actors.*.demands.*", "table", "its salience of one demand", ids="demand"),
    Field("actors.*.demands.*.salience", "drawn", "how much it cares about the demand; each of the demand's clauses "
          "gets an equal share (the actor still states its ideal and red lines per clause)", "weight",
          REQUIRED, 0.0, 100.0),
    Field("actors.*.demands.*.source", "source", SOURCE_DOC),
)

BY_PATH: dict[str, Field] = {f.path: f for f in FIELDS}
# Keys that changed meaning: a file still using one is told what replaced it.
RENAMED = {
    "protocol.horizon": "protocol.horizon_days (calendar days after 17 Dec 2021, no longer rounds)",
    "actors.*.deadline": "deadline_days (calendar days after 17 Dec 2021, no longer rounds)",
    "actors.*.window": "pace_memory_days (calendar days, no longer rounds)",
}
# An actor's strategy parameter row, in column order: the drawn actors.*.strategy.* fields in
# the order above.  Each strategy reads the columns it names (kernel/strategies.py).
STRATEGY_PARAMS = tuple(f.key for f in FIELDS if f.drawn and f.parent == "actors.*.strategy")


def field(path: str) -> Field:
    return BY_PATH[path]


class Table:
    """A file format's keys for the loader's checks (scenario._Checker): its rows, keys renamed
    since, how an id under a '*' key looks, and whether every number needs a source in its file.
    Scenario files use SCENARIO; a sweep file has a table of its own (experiments/sweep_file.py)."""

    def __init__(self, rows: tuple[Field, ...] | None = None, renamed: dict[str, str] | None = None,
                 ids: re.Pattern = ID_PATTERN, id_doc: str = ID_DOC, sourced: bool = True):
        self._rows, self.renamed, self.ids, self.id_doc, self.sourced = rows, renamed or {}, ids, id_doc, sourced

    @property
    def rows(self) -> tuple[Field, ...]:
        return FIELDS if self._rows is None else self._rows  # None: the scenario rows, as the module holds them

    def children(self, pattern: str) -> dict[str, Field]:
        """Fields directly under a table pattern ('' = the top level), keyed by key ('*' for ids)."""
        return {f.key: f for f in self.rows if f.parent == pattern}

    def field(self, path: str) -> Field:
        return next(f for f in self.rows if f.path == path)


SCENARIO = Table(renamed=RENAMED)


def choices(f: Field) -> tuple[str, ...]:
    """Allowed values of a choice field."""
    return f.choices


def children(pattern: str) -> dict[str, Field]:
    """Fields directly under a scenario table pattern ('' = the top level), keyed by key ('*' for ids)."""
    return SCENARIO.children(pattern)


def leaves(pattern: str) -> tuple[Field, ...]:
    """The values directly under a table pattern (not its sub-tables, not its source), in
    declaration order: the attributes of the dataclass built from it (scenario_types.from_schema)."""
    return tuple(f for f in FIELDS if f.parent == pattern and f.kind not in ("table", "source"))


def drawn_fields(prefix: str) -> tuple[Field, ...]:
    """Drawn fields under a pattern, in declaration order, e.g. drawn_fields('actors.*.clauses.*')."""
    return tuple(f for f in FIELDS if f.drawn and f.path.startswith(prefix + ".")
                 and f.path.count("*") == prefix.count("*"))


def closest(name: Any, allowed) -> str:
    """' (did you mean 'x'?)' when a close match exists, else '' (the one did-you-mean helper)."""
    close = difflib.get_close_matches(str(name), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _listing(allowed) -> str:
    allowed = [str(a) for a in allowed]
    return ", ".join(allowed) if len(allowed) <= 30 else ", ".join(allowed[:30]) + ", ..."


def suggest(name: Any, allowed, what: str = "key") -> str:
    """The message for an unknown key: unknown key 'x'; did you mean 'y'? Allowed: ..."""
    return f"unknown {what} {name!r}{closest(name, allowed)} Allowed: {_listing(allowed)}"


def not_allowed(value: Any, allowed) -> str:
    """The message for a value that is not a choice: 'x' is not allowed; did you mean ...? Allowed: ..."""
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "...'"
    return f"{shown} is not allowed{closest(value, allowed)} Allowed: {_listing(allowed)}"


def param_keys(dist: Any) -> set[str]:
    """Keys a distribution table may hold, given its `dist` (all distributions' if unknown)."""
    names = DIST_FIELDS.get(dist) if isinstance(dist, str) else None
    return {"dist", "source"} | (set(names) if names else {f for fs in DIST_FIELDS.values() for f in fs})


# ------------------------------------------------------------------ the field reference
def _range(f: Field) -> str:
    if f.kind in ("choice", "choices"):
        c = choices(f)
        return ("one of " if f.kind == "choice" else "a list of ") + ", ".join(c)
    if f.low is None:
        return {"ids": f"a list of {f.ids} ids", "scale": "position in [0, 1] -> text", "source": "text",
                "text": f"text, up to {MAX_TEXT} characters", "name": f"1-{MAX_NAME} letters, digits, '.', '_' or '-'",
                "table": "table", "removals": "list of dotted keys"}.get(f.kind, "")
    rng = f"[{f.low:g}, {f.high:g}]"
    return {"integer": f"whole number in {rng}", "days": f"increasing list of days in {rng}", "drawn": f"number or distribution within {rng}",
            "weights": f"table {f.ids} -> number in {rng}"}.get(f.kind, f"number in {rng}")


def _default(f: Field) -> str:
    if f.default is None:
        return ""
    if f.default in (REQUIRED, OWN_ID):
        return f.default
    if isinstance(f.default, tuple):
        return "[" + ", ".join(f'"{d}"' for d in f.default) + "]"
    return f'"{f.default}"' if isinstance(f.default, str) else f"{f.default:g}"


def reference() -> str:
    """docs/fields.md: the field reference, generated from FIELDS (`python -m sim.schema`)."""
    lines = [
        "# Scenario fields",
        "",
        "Generated from `sim/schema.py` by `python -m sim.schema > docs/fields.md`; a test checks it is current.",
        "`*` stands for an id the file chooses (an actor, a clause, an instrument). *Drawn* fields take a number",
        "or a distribution, drawn afresh in every run, and can be swept (`negsim sweep --param PATH=LOW:HIGH`).",
        "Distributions: " + "; ".join(f"`{{dist = \"{d}\", {', '.join(f'{k} = ...' for k in ks)}}}`"
                                      for d, ks in DIST_FIELDS.items()) + "; or `{value = N}`.",
        "",
        "| key | value | unit | default | drawn | what it is |",
        "|---|---|---|---|---|---|",
    ]
    for f in FIELDS:
        cells = (f"`{f.path}`", _range(f), f.unit, _default(f), "yes" if f.drawn else "", f.doc)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(reference(), end="")
