"""Options and arguments that several commands take, each written once.

Only typer is imported here: command modules load fast, and each command imports the
library when it runs.
"""

from __future__ import annotations

from typing import Annotated

import typer

NetworkOption = Annotated[str, typer.Option("--network", "-n", help="Network name.")]
AccountOption = Annotated[
    str | None,
    typer.Option("--account", "-a", help="Keystore account that signs (local: dev account 0)."),
]
TaskArg = Annotated[int, typer.Argument(min=1, help="Task id.")]
SlotArg = Annotated[int, typer.Argument(min=0, help="Slot index.")]
TokenOption = Annotated[
    str | None, typer.Option("--token", help="eth (default), an ERC-20 address or symbol.")
]
TokensOption = Annotated[
    list[str] | None,
    typer.Option(
        "--token",
        help="ERC-20 (address or deployed symbol) to include (repeatable); "
        "default: ETH and the tokens deployed on the network.",
    ),
]
ToOption = Annotated[str | None, typer.Option("--to", help="Where to send it; default: you.")]
LimitOption = Annotated[int, typer.Option("--limit", min=1, max=100)]
ReadingKeyOption = Annotated[
    str | None,
    typer.Option(
        "--reading-key",
        help="Keystore account holding the key derived from your wallet, when your tasks "
        "were posted from the web app (`microtask account import-derived`).",
    ),
]
