"""The house rule (docs/architecture.md): packages form layers and no import runs upward.

sim (the model) <- storage (files and folders) <- analysis (reads run tables) <- experiments
(runs the model) <- explorer (the browser app) <- negsim (the command line, which also starts
the explorer).  Every import counts,
at the top of a module or inside a function.  And no two modules import each other, directly or
round a longer loop (a cycle hides which one is the lower)."""

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


def module_names() -> dict[str, Path]:
    """Dotted name -> file of every module of the project's packages."""
    out = {}
    for package in LAYERS:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def module_imports(name: str, path: Path, modules) -> set[str]:
    """The project modules a module imports anywhere in it (relative imports resolved;
    `from package import module` counts the module)."""
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(here[:len(here) - node.level + 1] + [node.module or ""]).strip(".") if node.level \
                else node.module
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in modules and t != name}
    return found


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index, low, stack, on, cycles = {}, {}, [], set(), []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, edges = work[-1]
            w = next(edges, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def test_no_import_cycle():
    modules = module_names()
    assert import_cycles({m: module_imports(m, p, modules) for m, p in modules.items()}) == []


def test_a_cycle_is_found(tmp_path):
    (tmp_path / "a.py").write_text("from . import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from .c import x\n")
    (tmp_path / "c.py").write_text("import pkg.a\n")
    modules = {f"pkg.{m}": tmp_path / f"{m}.py" for m in "abc"}
    graph = {m: module_imports(m, p, modules) for m, p in modules.items()}
    assert graph == {"pkg.a": {"pkg.b"}, "pkg.b": {"pkg.c"}, "pkg.c": {"pkg.a"}}
    assert import_cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]
    assert import_cycles({"x": {"y"}, "y": set()}) == []
