"""Compiled contracts and their on-disk cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from microtask.errors import UserError
from microtask.files import write_atomically


class ArtifactNotFound(UserError, KeyError):
    """No compiled contract has the requested name, or the name is ambiguous."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class Artifact(BaseModel):
    """One compiled contract: what deploying and talking to it needs."""

    name: str
    source: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    immutable_references: dict[str, list[dict[str, int]]] = Field(default_factory=dict)
    method_identifiers: dict[str, str] = Field(default_factory=dict)
    metadata: str
    compiler_version: str
    input_hash: str

    @property
    def qualified_name(self) -> str:
        return f"{self.source}:{self.name}"

    @property
    def deployable(self) -> bool:
        """False for interfaces and abstract contracts, which have no bytecode."""
        return self.bytecode not in ("", "0x")


class CompiledProject(BaseModel):
    """Every contract of one build, keyed by ``source:Name``."""

    artifacts: dict[str, Artifact]
    input_hash: str
    compiler: str
    warnings: list[str] = Field(default_factory=list)
    seconds: float = 0.0
    from_cache: bool = False

    def with_timing(self, seconds: float, *, from_cache: bool) -> CompiledProject:
        return self.model_copy(update={"seconds": seconds, "from_cache": from_cache})

    def get(self, name: str) -> Artifact:
        """The artifact called ``name`` (``Name`` or ``path/File.sol:Name``)."""
        if name in self.artifacts:
            return self.artifacts[name]
        matches = [a for a in self.artifacts.values() if a.name == name]
        if len(matches) == 1:
            return matches[0]
        if matches:
            options = ", ".join(sorted(a.qualified_name for a in matches))
            raise ArtifactNotFound(f"{name} is ambiguous; use one of: {options}")
        known = ", ".join(sorted({a.name for a in self.artifacts.values() if a.deployable}))
        raise ArtifactNotFound(f"no compiled contract named {name}; deployable: {known}")


def load_cached(path: Path) -> CompiledProject | None:
    """A cached build, or None when absent or unreadable (a bad cache is just a miss)."""
    try:
        return CompiledProject.model_validate_json(path.read_bytes())
    except (OSError, ValidationError, ValueError):
        return None


def store_cached(path: Path, project: CompiledProject) -> None:
    """Write atomically, so a crash mid-write never leaves a truncated cache entry."""
    write_atomically(path, project.model_dump_json(exclude={"seconds", "from_cache"}))
