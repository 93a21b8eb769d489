"""Durations and times as people type and read them: ``7d``, ``2026-11-25 16:14 UTC``.

Token amounts are the library's (`microtask.client.tokens`).
"""

from __future__ import annotations

import re
import time

from microtask.errors import UserError

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def format_time(timestamp: int | None) -> str:
    """Chain time as people read it, in UTC (the chain's clock has no zone): ``2026-11-25
    16:14 UTC``; ``-`` for none."""
    if not timestamp:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(timestamp))


def parse_duration(text: str) -> int:
    """``"90"`` or ``"90s"``, ``"30m"``, ``"12h"``, ``"7d"``, ``"2w"`` in seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise UserError(f"not a duration: {text!r} (use e.g. 45s, 30m, 12h, 7d)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
