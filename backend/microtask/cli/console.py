"""How the CLI speaks: results on stdout, progress and errors on stderr, one line each."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

# soft_wrap: a message stays one line however narrow the terminal, so scripts can grep it
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def success(message: str) -> None:
    out.print(f"[green]✓[/green] {escape(message)}")


def info(message: str) -> None:
    err.print(f"[dim]{escape(message)}[/dim]")


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {escape(message)}")


def error(message: str) -> None:
    err.print(f"[bold red]error:[/bold red] {escape(message)}")
