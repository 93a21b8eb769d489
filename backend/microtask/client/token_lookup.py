"""Tokens as the user names them: ``eth``, an ERC-20 address, or a deployed token's symbol.

People remember symbols, not addresses: a token whose deployment is recorded for the
network (the demo's ``dUSD``) can be named by its symbol (any case). An address is checked
to answer as an ERC-20 (its symbol and decimals are read from the chain).

Example::

    known = deployed_tokens(w3, DeploymentStore(settings.deployments_dir, "local").records())
    resolve_token(w3, "dusd", known)   # Token(address=..., symbol="dUSD", decimals=6)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from web3 import Web3
from web3.exceptions import Web3Exception

from microtask.chain.deployments import DeploymentRecord
from microtask.chain.erc20 import erc20
from microtask.chain.escrow import ETH  # TODO(domain): microtask.escrow.ETH
from microtask.client.tokens import Token
from microtask.errors import UserError


def needs_deployed_tokens(text: str | None) -> bool:
    """Whether ``text`` can only be a deployed token's symbol (not eth, not an address),
    so the network's deployment records must be read to resolve it."""
    return not (text is None or text.strip().lower() == "eth" or Web3.is_address(text))


def resolve_token(w3: Web3, text: str | None, known: Mapping[str, str] | None = None) -> Token:
    """``eth`` (or nothing) for ETH, else an ERC-20 address whose symbol and decimals are read.

    ``known`` maps symbols (any case) to the addresses of tokens deployed on this network.
    """
    if text is None or text.strip().lower() in ("eth", ETH.lower()):
        return Token.eth()
    by_symbol = {symbol.lower(): address for symbol, address in (known or {}).items()}
    text = by_symbol.get(text.strip().lower(), text)
    if not Web3.is_address(text):
        names = ", ".join(sorted(known or {}))
        also = f", or one deployed on this network: {names}" if names else ""
        raise UserError(f"not a token: {text!r} (use eth or an ERC-20 address{also})")
    contract = erc20(w3, text)
    try:
        symbol = str(contract.functions.symbol().call())
        decimals = int(contract.functions.decimals().call())
    except (Web3Exception, ValueError):
        raise UserError(f"{text} does not answer as an ERC-20 token on this network") from None
    return Token(Web3.to_checksum_address(text), symbol, decimals)


def deployed_tokens(w3: Web3, records: Iterable[DeploymentRecord]) -> dict[str, str]:
    """Symbol to address of the ERC-20s among ``records`` (a network's deployments).

    A record is a token if its ABI has ``symbol()``; the symbol is read from the chain, and
    a record whose contract does not answer (recorded, but not on this chain) is skipped.
    """
    tokens = {}
    for record in records:
        if not any(item.get("name") == "symbol" for item in record.abi):
            continue
        try:
            address = Web3.to_checksum_address(record.address)
            symbol = w3.eth.contract(address=address, abi=record.abi).functions.symbol()
            tokens[str(symbol.call())] = record.address
        except (Web3Exception, ValueError):
            continue
    return tokens


def listed_tokens(w3: Web3, known: Mapping[str, str], asked: list[str] | None) -> list[Token]:
    """What a balance listing shows: ETH and the tokens asked for (addresses or deployed
    symbols), or ETH and every deployed token (``known``) when none were asked for."""
    wanted = ["eth", *(asked if asked is not None else known.values())]
    return [resolve_token(w3, text, known) for text in dict.fromkeys(wanted)]
