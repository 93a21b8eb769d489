"""Dependencies point one way (docs/architecture.md, Layers), checked by reading imports.

From the bottom up: the foundation (the escrow domain, encoding, config, errors, files, and
services: the supervisor and managed processes) imports nothing above it; the base layer
(chain, content, manifests, quality, db) builds on the foundation, with ``chain`` and
``content`` never importing ``manifests``; services (indexer, verifier, reputation, client,
demo) build on the base layer; front ends (cli, api, web, mturk) sit on top, and nothing
else imports them. Imports inside functions count as much as those at the top of a module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "backend" / "microtask"

FOUNDATION = {"escrow", "encoding", "config", "errors", "files", "services"}
BASE = {"chain", "content", "manifests", "quality", "db"}
SERVICES = {"indexer", "verifier", "reputation", "client", "demo"}
FRONT_ENDS = {"cli", "api", "web", "mturk", "__main__"}

# what each part may import from the package, besides itself
ALLOWED: dict[str, set[str]] = {
    "escrow": {"errors"},
    "encoding": {"errors"},
    "errors": set(),
    "config": {"errors", "files"},
    "files": {"errors"},
    "services": {"errors"},  # the supervisor and the managed-process base
    "chain": FOUNDATION,
    "content": FOUNDATION,
    "manifests": FOUNDATION,
    "quality": FOUNDATION | {"manifests"},
    "db": FOUNDATION,
    **dict.fromkeys(SERVICES, FOUNDATION | BASE | SERVICES),
    **dict.fromkeys(FRONT_ENDS, FOUNDATION | BASE | SERVICES | FRONT_ENDS),
}


def part_of(path: Path) -> str:
    """The sub-package (or top-level module) a source file belongs to."""
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported_parts(path: Path) -> Iterator[tuple[int, str]]:
    """(line, part) for every ``microtask.<part>`` a module imports, wherever it does."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "microtask":  # from microtask import chain, __version__
                names = [f"microtask.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "microtask" and len(parts) > 1 and parts[1] != "__version__":
                yield node.lineno, parts[1]


def sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {part_of(path) for path in sources()} - {"__init__"}
    assert parts <= ALLOWED.keys(), f"no layer for {sorted(parts - ALLOWED.keys())}"


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    here = part_of(path)
    if here == "__init__":
        return
    wrong = [
        f"line {line}: microtask.{there}"
        for line, there in imported_parts(path)
        if there != here and there not in ALLOWED[here]
    ]
    assert not wrong, f"{here} may not import these ({sorted(ALLOWED[here])} only): {wrong}"


def test_the_rules_of_design_md_hold_in_the_table() -> None:
    """The table above says what docs/architecture.md says, so loosening it shows in review."""
    for low in ("chain", "content"):
        assert "manifests" not in ALLOWED[low]
    for part, allowed in ALLOWED.items():
        if part not in FRONT_ENDS:
            assert not allowed & FRONT_ENDS, f"{part} may import a front end"
    assert ALLOWED["escrow"] <= {"errors"}


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import os\n"
        "from microtask import chain\n"
        "def f():\n"
        "    from microtask.manifests.task import TaskManifest\n"
        "    import microtask.cli.app\n"
    )
    assert sorted(part for _, part in imported_parts(module)) == ["chain", "cli", "manifests"]
