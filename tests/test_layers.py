"""The house rule (docs/architecture.md): packages form layers and no import runs upward.

sim (the model) <- storage (files and folders) <- analysis (reads run tables) <- experiments
(runs the model) <- explorer (the browser app) <- negsim (the command line, which also starts
the explorer).  Every import counts,
at the top of a module or inside a function."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"sim": 0, "storage": 1, "analysis": 2, "experiments": 3, "explorer": 4, "negsim": 5}


def imported_packages(path: Path) -> set[tuple[str, int]]:
    """(top-level package, line) of every absolute import of a project package in the file;
    relative imports stay inside the file's own package."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {(n.split(".")[0], node.lineno) for n in names if n.split(".")[0] in LAYERS}
    return found


def upward_imports(package: str) -> list[str]:
    own = LAYERS[package]
    return [f"{path.relative_to(ROOT)}:{line} imports {pkg}"
            for path in sorted((ROOT / package).rglob("*.py"))
            for pkg, line in sorted(imported_packages(path)) if LAYERS[pkg] > own]


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_no_import_runs_upward(package):
    assert upward_imports(package) == []


def test_the_rule_is_enforced_on_a_known_violation(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text("def f():\n    from negsim.cli import main\nimport sim.kernel\n")
    assert imported_packages(bad) == {("negsim", 2), ("sim", 3)}
