"""The README's commands, run in order, never meet each other's output folders (issue 22: both
`backtest` commands used to default to results/backtest, so the second was refused)."""

import shlex
from pathlib import Path

import pytest

from negsim.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[list[str]]:
    """Every `.venv/bin/negsim ...` command of the README's code blocks, continuation lines
    joined and comments dropped, as argument lists."""
    text = (ROOT / "README.md").read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(".venv/bin/negsim "):
            out.append(shlex.split(line, comments=True)[1:])
    return out


def test_the_readme_lists_its_commands():
    commands = {argv[0] for argv in readme_commands()}
    assert {"run", "compare", "solve", "robust", "explain", "backtest", "sweep"} <= commands


def test_no_two_readme_commands_share_an_output_folder(monkeypatch):
    monkeypatch.chdir(ROOT)
    owner: dict[Path, list[str]] = {}
    parser = build_parser()
    for argv in readme_commands():
        args = parser.parse_args(argv)
        if not hasattr(args, "default_out"):
            continue  # report, plot, discover, validate, explore: no folder of their own
        folder = Path(args.out) if getattr(args, "out", None) else args.default_out(args)
        assert owner.setdefault(folder, argv) == argv, f"{' '.join(argv)} and {' '.join(owner[folder])} both use {folder}"


@pytest.mark.parametrize("argv, folder", [
    (["backtest", "scenarios/history_2022.toml", "scenarios/full_agenda.toml"],
     "results/backtest_history_2022_full_agenda"),
    (["backtest", "scenarios/history_2022.toml", "--variants", "scenarios/history_whatif.toml"],
     "results/backtest_history_2022_history_whatif"),
    (["robust", "scenarios/full_agenda.toml", "scenarios/accession_excluded.toml"],
     "results/robust_full_agenda_vs_accession_excluded"),
    (["robust", "scenarios/full_agenda.toml", "scenarios/accession_excluded.toml", "--variants",
      "scenarios/variants.toml"], "results/robust_full_agenda_vs_accession_excluded"),
    (["solve", "scenarios/accession_excluded.toml"], "results/solve_accession_excluded"),
    (["run", "scenarios/accession_excluded.toml"], "results/accession_excluded"),
    (["sweep", "scenarios/sweep_headline.toml"], "results/sweep_headline"),
    (["sweep", "scenarios/base.toml", "--param", "actors.russia.outside_option=0.1:0.6", "--param",
      "protocol.package=joint,separate"], "results/sweep_base_outside_option_package"),
])
def test_default_folders_are_named_from_what_they_hold(monkeypatch, argv, folder):
    monkeypatch.chdir(ROOT)
    args = build_parser().parse_args(argv)
    assert args.default_out(args) == Path(folder)
