"""Command-level fuzzing (issue 25, item 6): sweep files, command-line abuses, damaged results
files, security probes and data-loss probes, each run as a real `python -m negsim ...` in a
subprocess, and kills of running commands.  A library: tests/test_fuzz_commands.py runs a small
fixed-seed sample in CI and scripts/fuzz_campaign.py runs the slow campaign (with the scenario
files of tests/fuzz_scenarios.py).  No test lives here.

Every case is a pure function of (seed, class, index): a `random.Random` seeded with a string.
A case names the arguments, the files of its folder (written over copies of prepared fixtures:
the scenarios, finished run folders, an explain folder) and its verdict:
    refuse  the input is malformed or unsafe: the command must exit non-zero with one line
    accept  the command must succeed
    either  it may do either, cleanly

Categories (`classify`):
    ok-refused / ok-accepted   as the verdict allows, with a clean terminal
    traceback          a Python traceback, a crash by a signal, a raw exception line
    hang               no answer within the case's time limit
    silent-accept      exit 0 although the verdict was refuse, or an output that differs from
                       the one an undamaged input gives
    bad-message        a refusal of more than one line, or control characters (a raw ESC) on
                       the terminal, or a stray warning line
    wrongly-refused    a refusal of an accept case
    read-outside       the command read a file outside the folders it may read (a canary's
                       text was printed, or a command given an outside path succeeded)
    deleted-user-file  a file that no negsim command wrote was deleted or changed
    lost-result        two commands reported success but one result is gone; or a rerun after
                       a kill differs from an uninterrupted run
    orphan             a process of a killed command outlived it
"""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
CATEGORIES = ("ok-refused", "ok-accepted", "traceback", "hang", "silent-accept", "bad-message", "wrongly-refused",
              "read-outside", "deleted-user-file", "lost-result", "orphan")
FAILURES = CATEGORIES[2:]
CANARY = "negsim_canary_7f3q"  # only files outside the case folder hold it; no output may show it
USER_TEXT = b"a user's own file: negsim must never delete or change it\n"
SWEEP_BASE = {"scenario": "accession_excluded.toml", "sampler": "lhs", "points": 4, "runs": 20, "seed": 3,
              "source": "judgement [negsim-calibration]: a fuzz case"}
SWEEP_PARAM = ("actors.russia.outside_option", {"low": 0.1, "high": 0.5,
                                                "source": "judgement [negsim-calibration]: a fuzz case"})


@dataclasses.dataclass
class Case:
    id: int
    cls: str
    sub: str
    verdict: str  # refuse | accept | either
    note: str
    argv: tuple[str, ...] = ()  # negsim's arguments; "{case}" and "{root}" are filled in
    files: dict[str, bytes] = dataclasses.field(default_factory=dict)  # written into the case folder
    fixtures: tuple[str, ...] = ("scenarios",)  # prepared folders copied in first (see `Fixtures`)
    symlinks: tuple[tuple[str, str], ...] = ()
    damage: tuple = ()  # (fixture file, how, argument): applied after the copy
    user_files: tuple[str, ...] = ()  # files the case plants that must survive unchanged
    driver: str = "command"  # command | concurrent | kill | checkpoint
    stdout: str = "pipe"  # pipe | devfull
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    timeout: float = 60.0
    same_as: str = ""  # an accepted output file that must equal the undamaged input's (silent wrong output)
    extra: dict = dataclasses.field(default_factory=dict)  # driver settings (signal, delay, ...)
    outside: bool = False  # a probe of a path outside the readable folders: success is a read outside

    @property
    def label(self) -> str:
        return f"{self.cls}/{self.sub}"


@dataclasses.dataclass
class Outcome:
    case: Case
    category: str
    detail: str
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.category in FAILURES


# ------------------------------------------------------------------ TOML writing
def toml_value(v) -> str:
    """A TOML value; a `Raw` string is spliced in verbatim (for values no writer would produce)."""
    if isinstance(v, Raw):
        return v.text
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


class Raw:
    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def sweep_toml(sweep: dict, params: dict | None = None, top: dict | None = None) -> bytes:
    lines = [f"{json.dumps(k)} = {toml_value(v)}" for k, v in (top or {}).items()]
    lines.append("[sweep]")
    lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in sweep.items()]
    for path, table in (params if params is not None else dict([SWEEP_PARAM])).items():
        if isinstance(table, dict):
            lines.append(f"[parameters.{json.dumps(path)}]")
            lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in table.items()]
        else:
            lines.append(f"[parameters]\n{json.dumps(path)} = {toml_value(table)}")
    return ("\n".join(lines) + "\n").encode()


# ------------------------------------------------------------------ generators
WRONG = [Raw('"text"'), Raw("5"), Raw("-1"), Raw("2.5"), Raw("true"), Raw('"no"'), Raw("[1, 2]"), Raw("{ a = 1 }"),
         Raw("1979-05-27"), Raw("nan"), Raw("inf"), Raw("1" + "0" * 400), Raw("-" + "9" * 400), Raw("0"),
         Raw('""'), Raw('"\\u202eevil"'), Raw('"\\u001b[31mred"'), Raw("1e309"), Raw("[]")]
SWEEP_VALID = {"sampler": ("grid", "lhs", "sobol", "morris"), "points": (4,), "runs": (10, 20), "seed": (0, 7),
               "second_order": (True, False), "keep_runs": (True, False), "metrics": (["p_persist"],)}


def gen_sweep(rng: random.Random) -> Case:
    """A mutated sweep file: one key of [sweep] or of a parameter table given a wrong type or
    value, an unknown key, a scenario path that leaves the folder, or a valid variation."""
    sub = rng.choice(["sweep-value", "sweep-value", "sweep-value", "param-value", "param-value", "unknown-key",
                      "scenario-path", "scenario-path", "structure", "valid", "valid", "size"])
    sweep, params, top = dict(SWEEP_BASE), {SWEEP_PARAM[0]: dict(SWEEP_PARAM[1])}, {}
    verdict, files, symlinks = "refuse", {}, ()
    if sub == "sweep-value":
        key = rng.choice(["sampler", "points", "runs", "seed", "metrics", "second_order", "levels", "keep_runs",
                          "scenario", "source"])
        sweep[key] = rng.choice(WRONG)
        if key in ("levels", "second_order"):  # each read by one sampler only
            sweep["sampler"] = "morris" if key == "levels" else "sobol"
        verdict = _sweep_value_verdict(key, sweep[key].text)
        note = f"sweep.{key} = {sweep[key].text[:40]}"
    elif sub == "param-value":
        key = rng.choice(["low", "high", "levels", "source"])
        params[SWEEP_PARAM[0]][key] = rng.choice(WRONG + [Raw('["a", "b"]'), Raw("[0.1, 0.2, 9]"), Raw("0.05")])
        text = params[SWEEP_PARAM[0]][key].text
        verdict = "either" if (key, text) in (("low", "0"), ("low", "0.05"), ("high", "0.05"), ("levels", "[]")) \
            else "refuse"
        note = f"parameters.{SWEEP_PARAM[0]}.{key} = {text[:40]}"
    elif sub == "unknown-key":
        where = rng.choice(["sweep", "param", "top"])
        name = rng.choice(["sampeler", "point", "run", "sed", "metric", "second-order", "level", "keepruns", "x"])
        if where == "sweep":
            sweep[name] = 1
        elif where == "param":
            params[SWEEP_PARAM[0]][rng.choice(["lo", "hi", "levls", "sauce"])] = 1
        else:
            top[rng.choice(["paramters", "swep", "settings"])] = 1
        note = f"unknown key in {where}"
    elif sub == "scenario-path":
        what = rng.choice(["/etc/passwd", "/proc/self/environ", "{root}/outside/outside.toml", "../outside/outside.toml",
                           "../../outside/outside.toml", "link.toml", "dirlink/base.toml", "", ".", "missing.toml",
                           "base.toml/", "sub", "/dev/zero", "accession_excluded.toml\u0000x"])
        if what == "link.toml":
            symlinks = (("link.toml", "{root}/outside/outside.toml"),)
        if what == "dirlink/base.toml":
            symlinks = (("dirlink", "{root}/outside"),)
        if what == "sub":
            files["sub/keep"] = b""
        sweep["scenario"] = what
        note = f"sweep.scenario = {what!r}"
    elif sub == "structure":
        kind = rng.choice(["params-list", "no-params", "sweep-not-table", "param-not-table", "low-above-high",
                           "outside-domain", "unknown-path", "factor-low-high", "duplicate", "no-scenario",
                           "not-toml", "empty", "metrics-unknown"])
        if kind == "params-list":
            files["sweep.toml"] = b'parameters = [1, 2]\n' + sweep_toml(sweep, {})
        elif kind == "no-params":
            params = {}
        elif kind == "sweep-not-table":
            files["sweep.toml"] = b'sweep = 5\n'
        elif kind == "param-not-table":
            files["sweep.toml"] = sweep_toml(sweep, {}) + b'[parameters]\n"actors.russia.outside_option" = 0.3\n'
        elif kind == "low-above-high":
            params[SWEEP_PARAM[0]].update(low=0.5, high=0.1)
        elif kind == "outside-domain":
            params[SWEEP_PARAM[0]].update(high=1.5)
        elif kind == "unknown-path":
            params = {"actors.russia.outsde_option": dict(SWEEP_PARAM[1])}
        elif kind == "factor-low-high":
            params = {"protocol.proposer": {"low": 0, "high": 1, "source": SWEEP_PARAM[1]["source"]}}
        elif kind == "duplicate":
            files["sweep.toml"] = sweep_toml(sweep, params) + sweep_toml({}, params).split(b"\n", 1)[1]
        elif kind == "no-scenario":
            del sweep["scenario"]
        elif kind == "not-toml":
            files["sweep.toml"] = b"[sweep\nscenario = 'x'\n"
        elif kind == "empty":
            files["sweep.toml"] = b""
        else:
            sweep["metrics"] = ["p_persist", "p_pesist"]
        note = kind
    elif sub == "size":
        big, runs = rng.choice([(10**7, 20), (10**6, 1000), (10**8, 20), (10**12, 20)])
        sweep.update(points=big, runs=runs)
        note = f"points = {big:,}, runs = {runs:,} (the design would take hours)"
    else:  # valid variations
        key = rng.choice(list(SWEEP_VALID))
        sweep[key] = rng.choice(SWEEP_VALID[key])
        if key == "second_order":  # read by the Sobol sampler only (elsewhere it is refused)
            sweep["sampler"] = "sobol"
        if sweep.get("sampler") == "sobol":
            sweep["points"] = 4
        if sweep.get("sampler") == "morris":
            sweep["levels"] = 4
        if sweep.get("sampler") == "grid":
            sweep["points"] = 2
        verdict = "accept"
        note = f"sweep.{key} = {sweep[key]!r} (valid)"
    files.setdefault("sweep.toml", sweep_toml(sweep, params, top))
    return Case(0, "sweep", sub, verdict, note, ("sweep", "{case}/sweep.toml", "--out", "{case}/out", "--workers", "1",
                                                 "--quiet"), files, symlinks=symlinks, timeout=90.0)


def _sweep_value_verdict(key: str, text: str) -> str:
    ok = {"points": ("5", "2.5"), "runs": ("5",), "seed": ("5", "0"), "second_order": ("true",),
          "keep_runs": ("true",), "levels": ("0",)}
    if key == "points" and text == "5":
        return "either"
    if key == "levels" and text in ("5", "0", "-1", "2.5"):
        return "either" if text == "5" else "refuse"
    return "either" if text in ok.get(key, ()) else "refuse"


RUN = ("run", "{case}/accession_excluded.toml", "-n", "50", "--quiet")
CLI_CASES: list[tuple[str, str, tuple[str, ...], dict]] = [
    # (sub, verdict, argv, extra case fields)
    ("out-empty", "refuse", RUN + ("--out", ""), {}),
    ("out-file", "refuse", RUN + ("--out", "{case}/base.toml"), {}),
    ("out-devnull", "refuse", RUN + ("--out", "/dev/null"), {}),
    ("out-proc", "refuse", RUN + ("--out", "/proc/self"), {}),
    ("runs-zero", "refuse", ("run", "{case}/base.toml", "-n", "0", "--out", "{case}/o"), {}),
    ("runs-negative", "refuse", ("run", "{case}/base.toml", "-n", "-5", "--out", "{case}/o"), {}),
    ("runs-huge", "refuse", ("run", "{case}/base.toml", "-n", "10" + "0" * 30, "--out", "{case}/o"), {}),
    ("runs-text", "refuse", ("run", "{case}/base.toml", "-n", "many", "--out", "{case}/o"), {}),
    ("seed-negative", "refuse", RUN + ("--seed", "-1", "--out", "{case}/o"), {}),
    ("seed-huge", "refuse", RUN + ("--seed", str(2**64), "--out", "{case}/o"), {}),
    ("workers-zero", "refuse", RUN + ("--workers", "0", "--out", "{case}/o"), {}),
    ("chunk-zero", "refuse", RUN + ("--chunk-size", "0", "--out", "{case}/o"), {}),
    ("mesa-trace", "refuse", RUN + ("--engine", "mesa", "--trace", "--out", "{case}/o"), {}),
    ("scenario-missing", "refuse", ("run", "{case}/nope.toml", "--out", "{case}/o"), {}),
    ("scenario-dir", "refuse", ("run", "{case}", "--out", "{case}/o"), {}),
    ("scenario-devzero", "refuse", ("run", "/dev/zero", "--out", "{case}/o"), {}),
    ("scenario-sweep", "refuse", ("run", "{case}/sweep_headline.toml", "--out", "{case}/o"), {}),
    ("scenario-catalogue", "refuse", ("run", "{case}/sources.toml", "--out", "{case}/o"), {}),
    ("compare-one", "refuse", ("compare", "{case}/base.toml", "--out", "{case}/o"), {}),
    ("compare-same", "refuse", ("compare", "{case}/base.toml", "{case}/base.toml", "-n", "20", "--out", "{case}/o"), {}),
    ("report-seed-negative", "refuse", ("report", "{case}/run1", "--seed", "-1", "--out", "{case}/r.html"),
     {"fixtures": ("scenarios", "run1")}),
    ("report-seed-huge", "refuse", ("report", "{case}/run1", "--seed", str(2**70), "--out", "{case}/r.html"),
     {"fixtures": ("scenarios", "run1")}),
    ("report-explain-file", "refuse", ("report", "{case}/run1", "--explain", "{case}/base.toml", "--out",
                                       "{case}/r.html"), {"fixtures": ("scenarios", "run1")}),
    ("report-explain-run", "refuse", ("report", "{case}/run1", "--explain", "{case}/run1", "--out", "{case}/r.html"),
     {"fixtures": ("scenarios", "run1")}),
    ("report-out-txt", "refuse", ("report", "{case}/run1", "--out", "{case}/r.txt"), {"fixtures": ("scenarios", "run1")}),
    ("report-out-dir", "refuse", ("report", "{case}/run1", "--out", "{case}/run1"), {"fixtures": ("scenarios", "run1")}),
    ("report-out-empty", "refuse", ("report", "{case}/run1", "--out", ""), {"fixtures": ("scenarios", "run1")}),
    ("report-ok", "accept", ("report", "{case}/run1", "--out", "{case}/r.html"), {"fixtures": ("scenarios", "run1")}),
    ("report-twice", "refuse", ("report", "{case}/run1", "{case}/run1", "--out", "{case}/r.html"),
     {"fixtures": ("scenarios", "run1")}),
    ("plot-kind", "refuse", ("plot", "{case}/run1", "--kind", "pie", "--out", "{case}/p.png"),
     {"fixtures": ("scenarios", "run1")}),
    ("plot-format", "refuse", ("plot", "{case}/run1", "--kind", "outcomes", "--out", "{case}/p.gif"),
     {"fixtures": ("scenarios", "run1")}),
    ("plot-sweep-kind-on-runs", "refuse", ("plot", "{case}/run1/runs.parquet", "--kind", "map", "--out",
                                           "{case}/p.png"), {"fixtures": ("scenarios", "run1")}),
    ("plot-ok", "accept", ("plot", "{case}/run1", "--kind", "outcomes", "--out", "{case}/p.png"),
     {"fixtures": ("scenarios", "run1")}),
    ("discover-by-day-inf", "refuse", ("discover", "{case}/run1/runs.parquet", "--outcome", "agreement", "--by-day",
                                       "1e309", "--out", "{case}/d"), {"fixtures": ("scenarios", "run1")}),
    ("discover-by-day-nan", "refuse", ("discover", "{case}/run1/runs.parquet", "--outcome", "agreement", "--by-day",
                                       "nan", "--out", "{case}/d"), {"fixtures": ("scenarios", "run1")}),
    ("discover-by-day-negative", "refuse", ("discover", "{case}/run1/runs.parquet", "--outcome", "agreement",
                                            "--by-day", "-3", "--out", "{case}/d"), {"fixtures": ("scenarios", "run1")}),
    ("discover-out-empty", "refuse", ("discover", "{case}/run1/runs.parquet", "--outcome", "agreement", "--out", ""),
     {"fixtures": ("scenarios", "run1")}),
    ("discover-folder", "either", ("discover", "{case}/run1", "--outcome", "agreement", "--out", "{case}/d"),
     {"fixtures": ("scenarios", "run1")}),
    ("solve-draws-zero", "refuse", ("solve", "{case}/base.toml", "--draws", "0"), {}),
    ("solve-draws-negative", "refuse", ("solve", "{case}/base.toml", "--draws", "-2"), {}),
    ("solve-draws-huge", "refuse", ("solve", "{case}/base.toml", "--draws", "10" + "0" * 20), {}),
    ("solve-compare-negative", "refuse", ("solve", "{case}/base.toml", "--compare-runs", "-1"), {}),
    ("solve-seed-negative", "refuse", ("solve", "{case}/base.toml", "--seed", "-1", "--compare-runs", "10", "--out",
                                       "{case}/s"), {}),
    ("solve-out-empty", "refuse", ("solve", "{case}/base.toml", "--compare-runs", "10", "--out", ""), {}),
    ("sweep-points-huge", "refuse", ("sweep", "{case}/base.toml", "--param", "actors.russia.outside_option=0.1:0.5",
                                     "--points", "1000000000", "--out", "{case}/w", "--quiet"), {"timeout": 60.0}),
    ("sweep-points-zero", "refuse", ("sweep", "{case}/base.toml", "--param", "actors.russia.outside_option=0.1:0.5",
                                     "--points", "0", "--out", "{case}/w"), {}),
    ("sweep-runs-zero", "refuse", ("sweep", "{case}/base.toml", "--param", "actors.russia.outside_option=0.1:0.5",
                                   "--runs", "0", "--out", "{case}/w"), {}),
    ("sweep-param-bad", "refuse", ("sweep", "{case}/base.toml", "--param", "actors.russia.outside_option=a:b",
                                   "--out", "{case}/w"), {}),
    ("sweep-param-inf", "refuse", ("sweep", "{case}/base.toml", "--param", "actors.russia.outside_option=0:inf",
                                   "--out", "{case}/w"), {}),
    ("sweep-param-nan", "refuse", ("sweep", "{case}/base.toml", "--param", "actors.russia.outside_option=nan:0.5",
                                   "--out", "{case}/w"), {}),
    ("sweep-no-param", "refuse", ("sweep", "{case}/base.toml", "--out", "{case}/w"), {}),
    ("sweep-scheduler-unreachable", "refuse", ("sweep", "{case}/base.toml", "--param",
                                               "actors.russia.outside_option=0.1:0.5", "--points", "2", "--runs", "10",
                                               "--scheduler", "tcp://127.0.0.1:9", "--out", "{case}/w", "--quiet"),
     {"timeout": 90.0}),
    ("sweep-scheduler-no-dask", "refuse", ("sweep", "{case}/base.toml", "--param",
                                           "actors.russia.outside_option=0.1:0.5", "--points", "2", "--runs", "10",
                                           "--scheduler", "tcp://127.0.0.1:9", "--out", "{case}/w", "--quiet"),
     {"env": {"NEGSIM_FUZZ_BLOCK": "dask"}}),
    ("sweep-scheduler-garbage", "refuse", ("sweep", "{case}/base.toml", "--param",
                                           "actors.russia.outside_option=0.1:0.5", "--points", "2", "--runs", "10",
                                           "--scheduler", "not an address", "--out", "{case}/w", "--quiet"),
     {"timeout": 90.0}),
    ("sweep-workers-zero", "refuse", ("sweep", "{case}/base.toml", "--param", "actors.russia.outside_option=0.1:0.5",
                                      "--workers", "0", "--out", "{case}/w"), {}),
    ("explain-runs-zero", "refuse", ("explain", "{case}/base.toml", "-n", "0", "--out", "{case}/e"), {}),
    ("robust-variants-missing", "refuse", ("robust", "{case}/full_agenda.toml", "{case}/accession_excluded.toml",
                                           "--variants", "{case}/nope.toml", "-n", "20", "--out", "{case}/r"), {}),
    ("robust-variants-scenario", "refuse", ("robust", "{case}/full_agenda.toml", "{case}/accession_excluded.toml",
                                            "--variants", "{case}/base.toml", "-n", "20", "--out", "{case}/r"), {}),
    ("backtest-no-record", "either", ("backtest", "{case}/base.toml", "-n", "20", "--out", "{case}/b"), {}),
    # stdout on a full device: one line and a non-zero exit (exit 0 would hide that the output is lost)
    ("validate-stdout-full", "refuse", ("validate", "{case}/base.toml"), {"stdout": "devfull", "verdict_full": True}),
    ("run-stdout-full", "refuse", RUN + ("--out", "{case}/o"), {"stdout": "devfull", "verdict_full": True}),
    ("validate-nothing", "refuse", ("validate",), {}),
    ("validate-dir", "refuse", ("validate", "{case}"), {}),
    ("validate-devzero", "refuse", ("validate", "/dev/zero"), {}),
    ("explore-port-bad", "refuse", ("explore", "--port", "70000"), {}),
    ("explore-port-negative", "refuse", ("explore", "--port", "-1"), {}),
    ("unknown-command", "refuse", ("runn", "{case}/base.toml"), {}),
    ("unknown-option", "refuse", ("run", "{case}/base.toml", "--sede", "1"), {}),
    ("name-escape", "refuse", ("run", "{case}/\x1b[31mred.toml", "--out", "{case}/o"), {}),
    ("name-bidi", "refuse", ("run", "{case}/\u202eevil.toml", "--out", "{case}/o"), {}),
]


def gen_cli(rng: random.Random, index: int) -> Case:
    sub, verdict, argv, extra = CLI_CASES[index % len(CLI_CASES)]
    extra = dict(extra)
    if argv[0] in ("report", "solve", "plot", "discover", "robust", "backtest", "explain"):
        extra.setdefault("timeout", 240.0)
    full = extra.pop("verdict_full", False)
    case = Case(0, "cli", sub, verdict, " ".join(argv)[:120], tuple(argv), **extra)
    if full:
        case.extra["stdout_full"] = True
    return case


def gen_damaged(rng: random.Random) -> Case:
    """A finished run folder with its runs file, trace or manifest damaged, read by report/plot/discover."""
    how = rng.choice(["truncate", "truncate", "flip", "flip", "flip", "zero", "append", "swap", "swap-listed",
                      "manifest-json", "manifest-entry", "manifest-path", "manifest-sha", "metadata", "labels-escape",
                      "labels-bidi", "empty", "trace-swap"])
    target = "run1/runs.parquet"
    arg: object = None
    verdict, same_as = "refuse", ""
    if how in ("truncate", "zero"):
        arg = rng.random()
    elif how == "flip":
        arg = [rng.random() for _ in range(rng.randint(1, 4))]
        verdict, same_as = "either", "out.html"
    elif how == "append":
        arg = rng.randint(1, 5000)
        verdict, same_as = "either", "out.html"
    elif how == "trace-swap":
        target = "run1/trace.parquet"
    elif how.startswith("manifest"):
        target = "run1/manifest.json"
        arg = rng.choice({"manifest-json": ["{", "[]", "null", '{"format": 5}', "x" * 10000],
                          "manifest-entry": ["drop-runs", "runs-unlisted", "name-int", "files-dict"],
                          "manifest-path": ["../run2/runs.parquet", "/etc/passwd", "{root}/outside/runs.parquet",
                                            "sub/../../run2/runs.parquet", "", ".", "runs.parquet/"],
                          "manifest-sha": ["0" * 64, "x", ""]}[how])
    elif how in ("labels-escape", "labels-bidi"):
        arg = {"labels-escape": "\x1b[2J\x1b]0;pwned\x07", "labels-bidi": "\u202eevil\u2066"}[how]
        verdict = "either"
    command = rng.choice(["report", "report", "plot", "discover"])
    argv = {"report": ("report", "{case}/run1", "--out", "{case}/out.html"),
            "plot": ("plot", "{case}/run1", "--kind", rng.choice(["outcomes", "blocking", "clauses", "incidence"]),
                     "--out", "{case}/out.png"),
            "discover": ("discover", "{case}/run1/runs.parquet", "--outcome", "agreement", "--out", "{case}/d")}[command]
    if how.startswith("labels"):
        argv = ("plot", "{case}/run1", "--kind", "blocking", "--out", "{case}/out.png") if command == "plot" else argv
    if command != "report":
        same_as = ""
    if how == "trace-swap" and command != "report":
        # plot (these kinds) and discover never read a trace: they may go on, with the output of the undamaged folder
        verdict, same_as = "either", {"plot": "out.png", "discover": "d/discovery_agreement_by_day_60.csv"}[command]
        argv += ("--by-day", "60") if command == "discover" else ()
    return Case(0, "damaged", how, verdict, f"{command}: {how} {target} ({str(arg)[:40]})", argv,
                fixtures=("scenarios", "run1", "run2"), damage=((target, how, arg),), same_as=same_as,
                outside=how == "manifest-path", timeout=240.0)


def gen_security(rng: random.Random, index: int) -> Case:
    """Paths a file names that lead outside the folders negsim may read."""
    probes = [
        ("sweep-etc-passwd", "/etc/passwd"), ("sweep-proc-environ", "/proc/self/environ"),
        ("sweep-abs-outside", "{root}/outside/outside.toml"), ("sweep-dotdot", "../outside/outside.toml"),
        ("sweep-symlink", "link.toml"), ("manifest-dotdot", "../run2/runs.parquet"),
        ("manifest-abs", "/etc/passwd"), ("manifest-abs-outside", "{root}/outside/runs.parquet"),
        ("manifest-symlink", "linked.parquet"), ("variants-applies-dotdot", "../outside/outside.toml"),
        ("variants-applies-abs", "{root}/outside/outside.toml"), ("variants-applies-symlink", "link.toml"),
        ("extends-symlink-loop", "loop_a.toml"), ("extends-symlink-self", "self.toml"),
        ("extends-trailing-slash", "base.toml/"), ("extends-dir-symlink", "dirlink/base.toml"),
        ("explain-manifest-dotdot", "../outside/explain.parquet"), ("event-actor-path", "../../etc/passwd"),
        ("remove-source", "protocol.source"), ("description-bidi", "\u202eevil"),
        ("description-zero-width", "a\u200bb\u2066c"), ("name-escape", "\x1b[31mred"),
    ]
    sub, value = probes[index % len(probes)]
    verdict, files, symlinks, fixtures = "refuse", {}, (), ("scenarios",)
    argv: tuple[str, ...]
    if sub.startswith("sweep-"):
        if sub == "sweep-symlink":
            symlinks = (("link.toml", "{root}/outside/outside.toml"),)
        files["sweep.toml"] = sweep_toml({**SWEEP_BASE, "scenario": value})
        argv = ("sweep", "{case}/sweep.toml", "--out", "{case}/out", "--workers", "1", "--quiet")
    elif sub.startswith("manifest-"):
        fixtures = ("scenarios", "run1", "run2")
        if sub == "manifest-symlink":
            symlinks = (("run1/linked.parquet", "{root}/outside/runs.parquet"),)
        files["@manifest"] = value.encode()
        argv = ("report", "{case}/run1", "--out", "{case}/out.html")
    elif sub.startswith("variants-"):
        if sub == "variants-applies-symlink":
            symlinks = (("link.toml", "{root}/outside/outside.toml"),)
        files["v.toml"] = (f"applies_to = {json.dumps(value)}\n[variants.a]\nset = {{ \"protocol.proposer\" = "
                           "\"random\" }\nreason = \"fuzz\"\nsource = \"judgement [negsim-calibration]: fuzz\"\n").encode()
        argv = ("validate", "{case}/v.toml")
    elif sub.startswith("extends-"):
        if sub == "extends-symlink-loop":
            symlinks = (("loop_a.toml", "loop_b.toml"), ("loop_b.toml", "loop_a.toml"))
        elif sub == "extends-symlink-self":
            symlinks = (("self.toml", "self.toml"),)
        elif sub == "extends-dir-symlink":
            symlinks = (("dirlink", "{root}/outside"),)
        files["x.toml"] = f'extends = {json.dumps(value)}\n[meta]\nname = "x"\n'.encode()
        argv = ("validate", "{case}/x.toml")
    elif sub == "explain-manifest-dotdot":
        fixtures = ("scenarios", "run1", "explain")
        files["@explain-manifest"] = value.encode()
        argv = ("report", "{case}/run1", "--explain", "{case}/explain", "--out", "{case}/out.html")
    elif sub == "event-actor-path":
        files["x.toml"] = (b'extends = "history_2022.toml"\n[events.probe]\nday = 40\nkind = "outside_option"\n'
                           b'actor = "../../etc/passwd"\nshift = 0.1\n'
                           b'source = "judgement [negsim-calibration]: fuzz"\n')
        argv = ("validate", "{case}/x.toml")
    elif sub == "remove-source":
        files["x.toml"] = f'extends = "base.toml"\nremove = [{json.dumps(value)}]\n'.encode()
        argv = ("validate", "{case}/x.toml")
    else:
        key = "name" if sub == "name-escape" else "description"
        files["x.toml"] = f'extends = "base.toml"\n[meta]\n{key} = {json.dumps(value)}\n'.encode()
        argv = ("validate", "{case}/x.toml")
    outside = sub.startswith(("sweep-", "manifest-", "variants-", "explain-", "extends-dir"))
    return Case(0, "security", sub, verdict, f"{sub}: {value!r}", argv, files, fixtures=fixtures, symlinks=symlinks,
                outside=outside, timeout=180.0)


def gen_dataloss(rng: random.Random, index: int) -> Case:
    """--force with a user's files present, two commands writing to one folder, checkpoints tampered."""
    subs = ["force-user-files", "force-user-subfolder", "force-user-report", "same-identity-user-csv",
            "force-negsim-only", "concurrent-runs", "concurrent-runs", "checkpoint-swap", "checkpoint-truncate",
            "checkpoint-foreign"]
    sub = subs[index % len(subs)]
    run_o = ("run", "{case}/accession_excluded.toml", "-n", "60", "--seed", "5", "--out", "{case}/run1", "--quiet")
    if sub.startswith("force-"):
        user = {"force-user-files": ("run1/report.html", "run1/runs_2020.csv", "run1/notes.txt"),
                "force-user-subfolder": ("run1/mine/data.csv",),
                "force-user-report": ("run1/report.html",), "force-negsim-only": ()}[sub]
        return Case(0, "dataloss", sub, "accept" if sub == "force-negsim-only" else "refuse",
                    f"run --force into a run folder holding {', '.join(user) or 'only negsim files'}",
                    run_o + ("--force",), {u: USER_TEXT for u in user}, fixtures=("scenarios", "run1"), user_files=user)
    if sub == "same-identity-user-csv":
        rerun = ("run", "{case}/accession_excluded.toml", "-n", "300", "--seed", "1", "--out", "{case}/run1", "--quiet")
        return Case(0, "dataloss", sub, "either", "the same run again into its folder, which holds the user's runs_2020.csv",
                    rerun, {"run1/runs_2020.csv": USER_TEXT}, fixtures=("scenarios", "run1"),
                    user_files=("run1/runs_2020.csv",))
    if sub == "concurrent-runs":
        return Case(0, "dataloss", sub, "either", "two runs with different seeds into one folder at once",
                    ("run", "{case}/accession_excluded.toml", "-n", "3000", "--out", "{case}/o", "--quiet"),
                    driver="concurrent", timeout=120.0)
    return Case(0, "dataloss", sub, "either", f"a sweep killed, its checkpoints {sub.split('-')[1]}, then resumed",
                ("sweep", "{case}/sweep.toml", "--out", "{case}/w", "--workers", "1", "--quiet"),
                {"sweep.toml": sweep_toml({**SWEEP_BASE, **CHECKPOINTED})}, driver="checkpoint",
                timeout=300.0, extra={"how": sub.split("-")[1]})


# A sweep of 12 tasks (experiments.sweep.RUNS_PER_TASK = 4096 runs a task, so 4 points of 1,000
# runs each): the checkpoint driver kills it once 3 task files exist, so it must have more than 3.
CHECKPOINTED = {"points": 48, "runs": 1000}


KILLS = [("run", "INT", 1.0), ("run", "INT", 1.0), ("run", "INT", 1.0), ("run", "INT", 3.0), ("run", "INT", "commit"),
         ("run", "INT", "commit"), ("run", "TERM", 1.0), ("run", "TERM", 3.0), ("run", "TERM", "commit"),
         ("run", "KILL", 1.0), ("run", "KILL", 3.0), ("run", "INT", 0.0), ("run", "TERM", 0.0),
         ("sweep", "INT", 2.0), ("sweep", "TERM", 2.0), ("sweep", "KILL", 2.0), ("sweep", "TERM", 4.0),
         ("sweep", "KILL", 4.0), ("sweep", "INT", 4.0), ("sweep", "KILL", 1.0), ("sweep", "TERM", 1.0),
         ("sweep", "KILL", 6.0), ("run", "KILL", 0.5),
         ("run", "INT-group", 1.0), ("run", "INT-group", 3.0), ("sweep", "INT-group", 2.0)]  # Ctrl-C at a terminal


def gen_kill(rng: random.Random, index: int) -> Case:
    what, sig, when = KILLS[index % len(KILLS)]
    if what == "run":
        argv = ("run", "{case}/accession_excluded.toml", "-n", "1000000", "--workers", "2", "--out", "{case}/o",
                "--quiet")
        files = {}
    else:
        argv = ("sweep", "{case}/sweep.toml", "--out", "{case}/o", "--workers", "2", "--quiet")
        files = {"sweep.toml": sweep_toml({**SWEEP_BASE, "points": 64, "runs": 400})}
    return Case(0, "kill", f"{what}-{sig}-{when}", "either", f"SIG{sig} to `negsim {what}` at {when}"
                + (" s after its staging folder appears" if when != "commit" else " (as its results move in)"),
                argv, files, driver="kill", timeout=600.0, extra={"signal": sig, "when": when, "what": what})


GENERATORS: dict[str, tuple[Callable, bool]] = {  # class -> (generator, takes the index)
    "sweep": (gen_sweep, False), "cli": (gen_cli, True), "damaged": (gen_damaged, False),
    "security": (gen_security, True), "dataloss": (gen_dataloss, True), "kill": (gen_kill, True),
}


def case(seed: int, cls: str, index: int, ident: int) -> Case:
    gen, indexed = GENERATORS[cls]
    rng = random.Random(f"negsim-commands:{seed}:{cls}:{index}")
    c = gen(rng, index) if indexed else gen(rng)
    c.id = ident
    return c


def generate(counts: dict[str, int], seed: int) -> list[Case]:
    out, ident = [], 0
    for cls, n in counts.items():
        for i in range(n):
            out.append(case(seed, cls, i, ident))
            ident += 1
    return out
