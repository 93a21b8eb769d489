"""A task's match line, as `microtask work tasks --sort match` prints it."""

from __future__ import annotations

from microtask.cli.listing import match_line
from microtask.client.tokens import Token

DUSD = Token("0x" + "11" * 20, "dUSD", 6)
MATCH = {"score": 0.58, "pay_share": 0.72, "acceptance": 0.8, "basis": "no history yet"}


def line(per_minute: float, estimate: int | None = 20) -> str:
    task = {"token": DUSD.address, "manifest": {"time_estimate_seconds": estimate}}
    return match_line({**MATCH, "reward_per_minute": per_minute}, task, lambda _: DUSD)


def test_the_rate_reads_in_the_tokens_units_to_three_figures() -> None:
    assert line(333_333.3) == (
        "match 0.58 = 0.333 dUSD/min (72% of the best rate in dUSD) x 80% expected acceptance "
        "(no history yet)"
    )
    assert "= 12.5 dUSD/min" in line(12_500_000)
    assert "= 12,346 dUSD/min" in line(12_345_678_900)


def test_without_an_estimate_it_says_so() -> None:
    assert "= no time estimate yet x 80%" in line(1.0, estimate=None)
