"""`Site`: what the pages need to know about the deployment they serve.

The API reads only the database; the pages also need a few facts the index does not hold:
the chain's id and the escrow's address (for the wallet's EIP-712 domain and
transactions), the dispute window (an immutable of the escrow), the tokens' symbols and
decimals (to show amounts in their units), and, on a local development chain, the node's
URL so a newcomer can use one of its unlocked accounts instead of a wallet extension.

They come from the client library's `Platform` (the front ends' one way to the chain, as
the CLI's): `site_for_platform` reads them once when `microtask up` starts, and the site
keeps the platform for the few reads the pages make of the chain itself (what enforcing a
receipt does next). A site without a platform (``bench/web.py`` serves a database with no
chain behind it) renders every page; only those chain reads answer 503.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from eth_utils.address import is_address, to_checksum_address

from microtask.client.tokens import Token

if TYPE_CHECKING:
    from microtask.client import Platform

DEV_CHAIN_IDS: Final = frozenset({31337, 1337})


@dataclass(frozen=True)
class Site:
    """The deployment the pages serve."""

    network: str
    chain_id: int
    chain_name: str
    escrow: str
    dispute_window: int
    escrow_errors: list[dict[str, Any]] = field(default_factory=list)
    """The escrow ABI's custom errors: the script names a refusal before the wallet asks."""
    tokens: dict[str, Token] = field(default_factory=lambda: {Token.eth().address: Token.eth()})
    """By checksummed address; ETH is always there."""
    rpc_url: str | None = None
    """Set only on a local development chain: the "use a development account" choice."""
    cid_version: int = 0
    platform: Platform | None = None
    """The client library's platform on this deployment, for reads of the chain itself."""

    def token(self, address: str) -> Token | None:
        return self.tokens.get(to_checksum_address(address)) if is_address(address) else None

    @property
    def dev_accounts(self) -> bool:
        return self.rpc_url is not None and self.chain_id in DEV_CHAIN_IDS


def chain_name(chain_id: int) -> str:
    return "Anvil (local)" if chain_id in DEV_CHAIN_IDS else f"chain {chain_id}"


def site_for_platform(platform: Platform, *, rpc_url: str | None, cid_version: int = 0) -> Site:
    """The site of ``platform``'s escrow, read from the chain once: ETH and every token
    deployed on the network (`Platform.listed_tokens`), the dispute window, the errors."""
    chain_id = platform.chain_id
    return Site(
        network=platform.network,
        chain_id=chain_id,
        chain_name=chain_name(chain_id),
        escrow=platform.escrow_address,
        dispute_window=platform.reader.dispute_window(),
        escrow_errors=[entry for entry in platform.record.abi if entry.get("type") == "error"],
        tokens={token.address: token for token in platform.listed_tokens()},
        rpc_url=rpc_url if chain_id in DEV_CHAIN_IDS else None,
        cid_version=cid_version,
        platform=platform,
    )
