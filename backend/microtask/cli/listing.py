"""Showing tasks the API returns, and whose tasks they are."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.table import Table
from web3 import Web3

from microtask.chain.wallets import default_signer, find_account
from microtask.cli.escrow_session import EscrowSession
from microtask.cli.units import Token, resolve_token


def token_formatter(w3: Web3) -> Callable[[str], Token]:
    """A cached token lookup, so a page of tasks reads each token's decimals once."""
    cache: dict[str, Token] = {}

    def token_of(address: str) -> Token:
        if address not in cache:
            cache[address] = resolve_token(w3, address)
        return cache[address]

    return token_of


def tasks_table(rows: list[dict[str, Any]], token_of: Callable[[str], Token]) -> Table:
    table = Table("task", "status", "title", "kind", "reward", "open slots", "deadline", box=None)
    for task in rows:
        manifest = task.get("manifest") or {}
        token = token_of(task["token"])
        table.add_row(
            str(task["task_id"]),
            task["status"],
            str(manifest.get("title") or f"({manifest.get('status', '?')} manifest)"),
            str(manifest.get("kind") or "-"),
            token.format(int(task["reward"])),
            f"{task['available_slots']}/{task['slot_count']}",
            time.strftime("%Y-%m-%d %H:%M", time.gmtime(task["deadline"])),
        )
    return table


def account_address(session: EscrowSession, account: str | None) -> str:
    """The address of ``--account`` (no password needed), or dev account 0 on a local chain."""
    if account is not None:
        return find_account(session.settings, account).address
    return str(default_signer(session.settings.network(session.network), session.network).address)


def match_line(
    match: dict[str, Any], task: dict[str, Any], token_of: Callable[[str], Token]
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
