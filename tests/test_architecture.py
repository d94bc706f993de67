"""The house rules, read from the source: one-way dependencies, no import cycles, small files."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("blueprints", "consents", "jobs")
TOP_LEVEL = ("app", "cli", "cli_proofs", "cli_staff", "extensions", "hardening", "worker")
ENTRY_POINTS = {"worker"}  # the RQ worker builds the app; the web server and flask CLI import app.py themselves
MAX_LINES = 300


def _modules() -> dict[str, Path]:
    """The application's modules by dotted name."""
    found = {name: ROOT / f"{name}.py" for name in TOP_LEVEL}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The application module an imported name lives in, or None for a library."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: Path) -> list[tuple[ast.stmt, str, bool]]:
    """Every import in a file: (node, imported name, at function level)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node, alias.name, id(node) not in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node, node.module, id(node) not in top))
            found += [(node, f"{node.module}.{alias.name}", id(node) not in top) for alias in node.names]
    return found


def _graph() -> dict[str, set[str]]:
    """Which application modules each application module imports, at any level."""
    graph = {}
    for name, path in MODULES.items():
        targets = {_resolve(imported) for _node, imported, _nested in _imports(path)}
        graph[name] = {t for t in targets if t and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or not (Tarjan's strongly connected components)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return groups


def _edges(source_prefix: str | None = None):
    """(importer, imported application module, imported name) for every import made by modules under a prefix."""
    for name, path in MODULES.items():
        if source_prefix is None or name == source_prefix or name.startswith(source_prefix + "."):
            for _node, imported, _nested in _imports(path):
                yield name, _resolve(imported), imported


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_the_domain_imports_no_views_jobs_app_or_request():
    wrong = [(src, imp) for src, target, imp in _edges("consents")
             if (target or "").split(".")[0] in ("blueprints", "jobs", "app", "cli", "worker")
             or imp in ("flask.request", "flask.session", "flask.g")]
    assert wrong == []


def test_jobs_never_import_views():
    assert [(src, imp) for src, target, imp in _edges("jobs") if (target or "").startswith("blueprints")] == []


def test_only_entry_points_import_the_app():
    assert {src for src, target, _imported in _edges() if target == "app"} <= ENTRY_POINTS


def test_no_blueprint_imports_another_blueprint():
    wrong = []
    for name in MODULES:
        parts = name.split(".")
        if parts[0] != "blueprints" or len(parts) < 2:
            continue
        for _src, target, imported in _edges(name):
            other = (target or "").split(".")
            if other[0] == "blueprints" and len(other) > 1 and other[1] != parts[1]:
                wrong.append((name, imported))
    assert wrong == []


def test_function_level_imports_say_why():
    silent = []
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node, _imported, nested in _imports(path):
            line = lines[node.lineno - 1]
            if nested and "#" not in line and not lines[node.lineno - 2].strip().startswith("#"):
                silent.append(f"{name}:{node.lineno}")
    assert sorted(set(silent)) == []


def test_no_application_file_is_a_warehouse():
    assert {name: n for name, path in MODULES.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES} == {}


def test_the_rules_would_see_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
