"""Imports sit at the top of modules (docs/architecture.md), so a module's first lines show what
it depends on.  An import inside a function is the exception: a heavy optional dependency
(matplotlib, solara, Dask, SALib, the EMA workbench, Mesa) or one that would slow the command
line's start, and a comment on it says which.  Never a standard-library module (they load in
microseconds).  And the command line starts light: `negsim --help`, every `negsim COMMAND
--help` and a usage error load no command module (only the grammar, negsim/grammar.py) and no
numpy; `negsim validate` on a scenario loads no Numba, pandas, pyarrow, Mesa or matplotlib."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from negsim.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("sim", "storage", "analysis", "experiments", "explorer", "negsim")
PARSER_ONLY = {"negsim.cli", "negsim.common", "negsim.grammar"}  # what the command line loads to parse
HEAVY = {"numpy", "pandas", "pyarrow", "scipy", "numba", "mesa", "matplotlib", "solara"}


def function_imports(path: Path) -> list[tuple[int, str, bool]]:
    """(line, imported module, whether a comment says why) of every import inside a function;
    the comment sits on the import's own lines or on a comment line just above it."""
    text = path.read_text()
    lines = text.splitlines()
    found = []

    def visit(node, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if in_function and isinstance(child, (ast.Import, ast.ImportFrom)):
                module = child.names[0].name if isinstance(child, ast.Import) else \
                    "." * child.level + (child.module or "")
                own = lines[child.lineno - 1:child.end_lineno]
                above = lines[child.lineno - 2].strip() if child.lineno > 1 else ""
                found.append((child.lineno, module, any("#" in s for s in own) or above.startswith("#")))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(ast.parse(text, str(path)), False)
    return found


def misplaced(path: Path) -> list[str]:
    """The imports inside functions that break the rule, as 'file:line module (why)'."""
    out = []
    for line, module, commented in function_imports(path):
        where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}:{line} {module}"
        if module.split(".")[0] in sys.stdlib_module_names:
            out.append(f"{where} (standard library: import it at the top)")
        elif not commented:
            out.append(f"{where} (inside a function with no comment saying why)")
    return out


def test_imports_sit_at_the_top_or_say_why_not():
    assert [m for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py")) for m in misplaced(path)] == []


def test_the_rule_finds_what_it_should(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("import os\n\n\n"
                 "def a():\n    import json\n\n\n"  # line 5: the standard library
                 "def b():\n    from pandas import DataFrame\n\n\n"  # line 9: no comment
                 "def c():\n    import matplotlib  # heavy optional: the figure only\n\n\n"  # line 13
                 "def d():\n    # Numba and the kernel: only when runs are played\n    from .protocol import (\n"
                 "        play,\n    )\n\n\n"  # line 18, its comment on the line above
                 "def e():\n    import sys  # a comment does not excuse the standard library\n")  # line 24
    assert [m.split(" (")[0] for m in misplaced(f)] == ["m.py:5 json", "m.py:9 pandas", "m.py:24 sys"]
    assert [(line, ok) for line, _, ok in function_imports(f)] == [(5, False), (9, False), (13, True), (18, True),
                                                                    (24, True)]


def loaded_after(argv: list[str]) -> set[str]:
    """The modules a fresh interpreter holds after `negsim ARGV` (help exits through SystemExit)."""
    code = ("import contextlib, io, sys\nfrom negsim.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(sys.argv[1:])\n    except SystemExit:\n        pass\n"
            "print(' '.join(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return set(done.stdout.split())


def test_help_loads_no_command_and_no_numpy():
    loaded = loaded_after(["--help"])
    assert {m for m in loaded if m.startswith("negsim.")} == PARSER_ONLY
    assert "numpy" not in loaded


def test_every_commands_help_and_usage_error_load_no_command_and_nothing_heavy():
    """`negsim COMMAND --help` and a usage error answer from the grammar: no command's module (it
    imports numpy, pandas or the model at its top) and no heavy library, for every command.  One
    interpreter goes through the commands in turn and lists what is loaded after each, so the first
    command that loads too much is the first entry with a non-empty list."""
    code = textwrap.dedent("""\
        import contextlib, io, json, sys
        from negsim.cli import COMMANDS, main
        heavy, seen = set(sys.argv[1:]), []
        for name in COMMANDS:
            for argv in ([name, "--help"], [name, "--no-such-option"]):
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    try:
                        rc = main(argv)
                    except SystemExit as exc:
                        rc = exc.code
                seen.append([argv, rc, sorted(m for m in sys.modules
                                              if m.startswith("negsim.") or m.split(".")[0] in heavy)])
        print(json.dumps(seen))""")
    done = subprocess.run([sys.executable, "-c", code, *HEAVY], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert [argv[0] for argv, _, _ in seen[::2]] == list(COMMANDS)  # every command went through
    for argv, rc, loaded in seen:
        assert (rc, set(loaded) - PARSER_ONLY) == (0 if argv[1] == "--help" else 2, set()), argv


def test_validate_loads_no_heavy_library():
    loaded = loaded_after(["validate", str(ROOT / "scenarios" / "accession_excluded.toml")])
    assert "negsim.validate" in loaded and "sim.scenario" in loaded  # it did check the file
    assert {m.split(".")[0] for m in loaded} & {"numba", "pandas", "pyarrow", "mesa", "matplotlib"} == set()
    assert {m for m in loaded if m.startswith("negsim.")} == PARSER_ONLY | {"negsim.validate"}
