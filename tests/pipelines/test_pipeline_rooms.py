"""The pipelines' rooms, checked on the source itself (read, never imported), as ARCHITECTURE.md
draws them: the commands at the top of ``pipelines/``, each importing down and never another
command; the rooms below them, each importing only the rooms below it, never a command.
"""
from __future__ import annotations

import ast
from pathlib import Path

from blurgen.commands import PIPELINES, on_side

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "pipelines"
# Each room and the rooms it may import; the order of the architecture page, lowest first.
ROOMS = {
    "sources": set(),
    "shards": {"sources"},
    "items": {"sources", "shards"},
    "footage": {"sources", "shards", "items"},
    "runners": {"sources", "shards", "items"},
    "cards": {"sources", "shards", "footage"},
}


def module_of(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def pipelines_imports(path: Path) -> set[str]:
    """Every ``pipelines`` module ``path`` imports, lazily or not; ``from P import N`` counts as
    ``P.N`` when that is a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                full = f"{node.module}.{a.name}"
                sub = REPO / full.replace(".", "/")
                found.add(full if sub.with_suffix(".py").is_file() or (sub / "__init__.py").is_file() else node.module)
    return {m for m in found if m == "pipelines" or m.startswith("pipelines.")}


def room_of(module: str) -> str | None:
    """The room of a module (``pipelines.shards.commit`` -> ``shards``); None at the top of the package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in ROOMS) else None


def modules() -> dict[str, set[str]]:
    return {module_of(p): pipelines_imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_the_walk_sees_rooms_and_their_imports():
    found = modules()
    assert "pipelines.shards.commit" in found["pipelines.runners.launch"]
    assert "pipelines.items.transforms" in found["pipelines.footage.windows"]
    assert room_of("pipelines.shards.commit") == "shards" and room_of("pipelines.synth") is None


def test_every_folder_of_the_package_is_a_known_room():
    folders = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert folders == set(ROOMS)


def test_rooms_import_only_the_rooms_below_them_and_never_a_command():
    wrong = [(m, t) for m, targets in modules().items() if room_of(m) for t in targets
             if t != "pipelines" and room_of(t) != room_of(m) and room_of(t) not in ROOMS[room_of(m)]]
    assert wrong == []


def test_the_commands_sit_on_top_and_import_no_other_command():
    commands = {row.module for row in on_side(PIPELINES).values()}
    assert all(room_of(c) is None for c in commands), "a command module belongs at the top of pipelines/"
    found = modules()
    wrong = [(c, t) for c in sorted(commands) for t in found[c]
             if t in commands and t != c]
    assert wrong == []
