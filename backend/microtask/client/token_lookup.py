"""Tokens as the user names them: ``eth``, an ERC-20 address, or a deployed token's symbol.

People remember symbols, not addresses: a token whose deployment is recorded for the
network (the demo's ``dUSD``) can be named by its symbol (any case). An address is checked
to answer as an ERC-20: its ``symbol()`` and ``decimals()`` are called through any
`ContractCaller` (plain JSON-RPC, or web3), so listing tasks does not wait for web3.

Example::

    known = deployed_tokens(rpc, DeploymentStore(settings.deployments_dir, "local").records())
    resolve_token(rpc, "dusd", known)   # Token(address=..., symbol="dUSD", decimals=6)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils.address import is_address, to_checksum_address

from microtask.chain.deployments import DeploymentRecord
from microtask.chain.rpc import CallFailed, ContractCaller
from microtask.client.tokens import Token
from microtask.errors import UserError
from microtask.escrow import ETH

SYMBOL = bytes.fromhex("95d89b41")
"""The selector of ERC-20 ``symbol()``."""
DECIMALS = bytes.fromhex("313ce567")
"""The selector of ERC-20 ``decimals()``."""


def needs_deployed_tokens(text: str | None) -> bool:
    """Whether ``text`` can only be a deployed token's symbol (not eth, not an address),
    so the network's deployment records must be read to resolve it."""
    return not (text is None or text.strip().lower() == "eth" or is_address(text))


def token_symbol(chain: ContractCaller, address: str) -> str:
    """The ERC-20's ``symbol()``; `CallFailed` or `DecodingError` if it has none."""
    (symbol,) = decode(["string"], chain.call(address, SYMBOL))
    return str(symbol)


def resolve_token(
    chain: ContractCaller, text: str | None, known: Mapping[str, str] | None = None
) -> Token:
    """``eth`` (or nothing) for ETH, else an ERC-20 address whose symbol and decimals are read.

    ``known`` maps symbols (any case) to the addresses of tokens deployed on this network.
    """
    if text is None or text.strip().lower() in ("eth", ETH.lower()):
        return Token.eth()
    by_symbol = {symbol.lower(): address for symbol, address in (known or {}).items()}
    text = by_symbol.get(text.strip().lower(), text)
    if not is_address(text):
        names = ", ".join(sorted(known or {}))
        also = f", or one deployed on this network: {names}" if names else ""
        raise UserError(f"not a token: {text!r} (use eth or an ERC-20 address{also})")
    address = to_checksum_address(text)
    try:
        symbol = token_symbol(chain, address)
        (decimals,) = decode(["uint8"], chain.call(address, DECIMALS))
    except (CallFailed, DecodingError):
        raise UserError(f"{text} does not answer as an ERC-20 token on this network") from None
    return Token(address, symbol, int(decimals))


def deployed_tokens(chain: ContractCaller, records: Iterable[DeploymentRecord]) -> dict[str, str]:
    """Symbol to address of the ERC-20s among ``records`` (a network's deployments).

    A record is a token if its ABI has ``symbol()``; the symbol is read from the chain, and
    a record whose contract does not answer (recorded, but not on this chain) is skipped.
    """
    tokens = {}
    for record in records:
        if not any(item.get("name") == "symbol" for item in record.abi):
            continue
        try:
            tokens[token_symbol(chain, record.address)] = record.address
        except (CallFailed, DecodingError):
            continue
    return tokens


def listed_tokens(
    chain: ContractCaller, known: Mapping[str, str], asked: list[str] | None
) -> list[Token]:
    """What a balance listing shows: ETH and the tokens asked for (addresses or deployed
    symbols), or ETH and every deployed token (``known``) when none were asked for."""
    wanted = ["eth", *(asked if asked is not None else known.values())]
    return [resolve_token(chain, text, known) for text in dict.fromkeys(wanted)]
