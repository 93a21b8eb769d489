"""Collect the Solidity sources of a project, with every file they import.

The compiler input then carries the full text of every source, so it is self-contained:
its hash identifies a build exactly (a changed OpenZeppelin release changes the hash), any
solc (native or solcjs) compiles it without file-system access, and a block explorer can
verify it. Import names follow solc's rules: a path starting with ``./`` or ``../`` is
relative to the importing unit, any other path is taken as written and looked up in the
project root, then in ``node_modules``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from microtask.errors import UserError

# Every form of Solidity import names its file in the first string literal after `import`.
_IMPORT = re.compile(r"""^\s*import\b[^"';]*["']([^"']+)["']""", re.MULTILINE)
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)


class SourceNotFound(UserError, FileNotFoundError):
    """An import names a file that is neither in the project nor in node_modules."""


@dataclass(frozen=True)
class SourceTree:
    """Where source unit names are looked up."""

    project_root: Path
    node_modules: Path

    def locate(self, unit: str) -> Path | None:
        for base in (self.project_root, self.node_modules):
            candidate = base / unit
            if candidate.is_file():
                return candidate
        return None


def imported_units(unit: str, text: str) -> list[str]:
    """Source unit names that ``text`` (the source of ``unit``) imports."""
    names = []
    for path in _IMPORT.findall(_COMMENT.sub("", text)):
        if path.startswith(("./", "../")):
            path = posixpath.normpath(posixpath.join(posixpath.dirname(unit), path))
        names.append(path)
    return names


def project_units(project_root: Path, contracts_dir: Path) -> list[str]:
    """Source unit names of every ``.sol`` file under ``contracts_dir``, sorted."""
    return sorted(
        path.relative_to(project_root).as_posix() for path in contracts_dir.rglob("*.sol")
    )


def collect_sources(tree: SourceTree, roots: Iterable[str]) -> dict[str, str]:
    """The text of ``roots`` and of everything they import, keyed by source unit name."""
    sources: dict[str, str] = {}
    pending = [(unit, "") for unit in roots]
    while pending:
        unit, importer = pending.pop()
        if unit in sources:
            continue
        path = tree.locate(unit)
        if path is None:
            where = f" (imported by {importer})" if importer else ""
            raise SourceNotFound(
                f"cannot find {unit}{where} in {tree.project_root} or {tree.node_modules}; "
                "is `npm ci` done?"
            )
        text = path.read_text(encoding="utf-8")
        sources[unit] = text
        pending.extend((name, unit) for name in imported_units(unit, text))
    return dict(sorted(sources.items()))
