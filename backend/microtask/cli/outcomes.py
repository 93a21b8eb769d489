"""How the CLI reports what several commands share: withdrawals, and files exported."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from microtask.cli import console

if TYPE_CHECKING:
    from microtask.client.results import Withdrawn


def withdrawn(ctx: typer.Context, done: Withdrawn, what: str = "") -> None:
    """``task refund``, ``work withdraw`` and ``operator withdraw-fees`` report alike."""
    console.emit(
        ctx,
        {"amount": str(done.amount), "token": done.token.address, "tx": done.transaction.hash},
        lambda: console.success(f"withdrew {done.token.format(done.amount)}{what}"),
    )


def export_path(path: Path) -> str:
    """The format ``--export FILE`` asks for, by its suffix: ``csv`` or ``jsonl``."""
    from microtask.errors import UserError

    if path.suffix not in (".csv", ".jsonl"):
        raise UserError(f"--export must end in .csv or .jsonl, not {path.suffix or 'nothing'}")
    return path.suffix[1:]


def export(path: Path, *, csv: str | bytes, jsonl: str | bytes) -> None:
    """Write the CSV or the JSON Lines to ``path``, as its suffix asks, atomically."""
    from microtask.files import write_atomically

    write_atomically(path, csv if export_path(path) == "csv" else jsonl)
