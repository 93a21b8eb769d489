"""How the CLI speaks: results on stdout, progress and errors on stderr, one line each."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

# soft_wrap: a message stays one line however narrow the terminal, so scripts can grep it
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def arbitrator_text(arbitrator: str, is_default: bool) -> str:
    """A task's arbitrator, flagged when it is not the platform's default: the escrow only
    refuses the requester and the verifier, not someone they know."""
    if is_default:
        return f"{arbitrator} (the platform's default)"
    return f"[yellow]{arbitrator} (chosen by the requester, not the default: check who it is)[/]"


def success(message: str) -> None:
    out.print(f"[green]✓[/green] {escape(message)}")


def info(message: str) -> None:
    err.print(f"[dim]{escape(message)}[/dim]")


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {escape(message)}")


def error(message: str) -> None:
    err.print(f"[bold red]error:[/bold red] {escape(message)}")


def json_mode(ctx: typer.Context) -> bool:
    """Whether the user asked for machine-readable output (`microtask --json ...`)."""
    root = ctx.find_root()
    return bool(root.params.get("json_output"))


def emit(ctx: typer.Context, data: Any, render: Callable[[], None]) -> None:
    """Print ``data`` as one JSON document in --json mode, else call ``render``."""
    if json_mode(ctx):
        sys.stdout.write(json.dumps(data, default=str, sort_keys=True) + "\n")
        sys.stdout.flush()
    else:
        render()
