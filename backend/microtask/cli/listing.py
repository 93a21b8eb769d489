"""Showing tasks the API returns: a table of tasks, and a task's match in one line."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.table import Table

    from microtask.client.documents import TaskListing
    from microtask.client.tokens import Token


def tasks_table(rows: Sequence[TaskListing], token_of: Callable[[str], Token]) -> Table:
    from rich.table import Table

    table = Table("task", "status", "title", "kind", "reward", "open slots", "deadline", box=None)
    for task in rows:
        manifest = task.manifest
        token = token_of(task.token)
        table.add_row(
            str(task.task_id),
            task.status,
            str(manifest.title or f"({manifest.status or '?'} manifest)"),
            str(manifest.kind or "-"),
            token.format(int(task.reward)),
            f"{task.available_slots}/{task.slot_count}",
            time.strftime("%Y-%m-%d %H:%M", time.gmtime(task.deadline)),
        )
    return table


def match_line(
    match: Mapping[str, Any], task: Mapping[str, Any], token_of: Callable[[str], Token]
) -> str:
    """A task's match for the worker in one line, amounts in the token's units."""
    token = token_of(task["token"])
    estimate = (task.get("manifest") or {}).get("time_estimate_seconds")
    if estimate:
        per_minute = float(match["reward_per_minute"]) / 10**token.decimals
        shown = f"{per_minute:,.0f}" if per_minute >= 1000 else f"{per_minute:.3g}"
        rate = f"{shown} {token.symbol}"
        pay = f"{rate}/min ({float(match['pay_share']):.0%} of the best rate in {token.symbol})"
    else:
        pay = "no time estimate yet"
    return (
        f"match {float(match['score']):.2f} = {pay} x {float(match['acceptance']):.0%} "
        f"expected acceptance ({match['basis']})"
    )
