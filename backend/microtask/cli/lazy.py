"""Commands that are imported when they run, so that `microtask` starts fast.

The root group lists every command from a `LazySpec`: its name, where its implementation
lives (``module:attribute``, a typer app or a command function), and the one line the
root's ``--help`` shows (a test checks it against the real command's help). Only when a
command is invoked, or asked for its own ``--help``, is its module imported; so
``microtask --help`` imports neither web3 nor pandas, and ``microtask work tasks`` only
what listing tasks needs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context  # typer's own (vendored) click


@dataclass(frozen=True)
class LazySpec:
    """One command of the root group, imported on use."""

    name: str
    target: str
    """``module:attribute``: a `typer.Typer` (a group) or a command function."""
    summary: str
    """The first paragraph of the command's help: what the root's ``--help`` lists."""
    also: tuple[str, ...] = ()
    """Modules that register more commands on the group when imported."""

    def load(self) -> Command:
        module_name, _, attribute = self.target.partition(":")
        found = getattr(importlib.import_module(module_name), attribute)
        for module in self.also:
            importlib.import_module(module)
        if isinstance(found, typer.Typer):
            return typer.main.get_group(found)
        single = typer.Typer(add_completion=False)
        single.command(self.name)(found)
        return typer.main.get_command(single)


class LazyCommand(TyperCommand):
    """A root command standing in for its implementation until it is needed."""

    def __init__(self, spec: LazySpec) -> None:
        super().__init__(name=spec.name, help=spec.summary, add_help_option=False)
        self.spec = spec
        self._loaded: Command | None = None

    def load(self) -> Command:
        if self._loaded is None:
            self._loaded = self.spec.load()
        return self._loaded

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Context | None = None,
        **extra: Any,
    ) -> Context:
        # the loaded command parses, and its context is the one invoked
        return self.load().make_context(info_name, args, parent=parent, **extra)


class LazyGroup(TyperGroup):
    """The root group: its typer-registered commands, then every `LazySpec` of ``specs``."""

    specs: tuple[LazySpec, ...] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for spec in self.specs:
            self.add_command(LazyCommand(spec))
