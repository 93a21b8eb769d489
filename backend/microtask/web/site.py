"""`Site`: what the pages need to know about the deployment they serve.

The API reads only the database; the pages also need a few facts the index does not hold:
the chain's id and the escrow's address (for the wallet's EIP-712 domain and
transactions), the dispute window (an immutable of the escrow), the tokens' symbols and
decimals (to show amounts in their units), and, on a local development chain, the node's
URL so a newcomer can use one of its unlocked accounts instead of a wallet extension.
`microtask up` reads them once at start (`site_for_deployment`) and attaches them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from eth_utils.address import to_checksum_address
from web3 import Web3

from microtask.chain.deployments import DeploymentStore
from microtask.chain.erc20 import erc20

ETH: Final = "0x0000000000000000000000000000000000000000"
DEV_CHAIN_IDS: Final = frozenset({31337, 1337})


@dataclass(frozen=True)
class TokenInfo:
    symbol: str
    decimals: int


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
    tokens: dict[str, TokenInfo] = field(default_factory=dict)
    """By checksummed address; ETH is always there."""
    rpc_url: str | None = None
    """Set only on a local development chain: the "use a development account" choice."""
    cid_version: int = 0

    def token(self, address: str) -> TokenInfo | None:
        return self.tokens.get(to_checksum_address(address))

    @property
    def dev_accounts(self) -> bool:
        return self.rpc_url is not None and self.chain_id in DEV_CHAIN_IDS


def known_tokens(w3: Web3, addresses: list[str]) -> dict[str, TokenInfo]:
    """ETH and each ERC-20 at ``addresses`` whose symbol and decimals can be read."""
    tokens = {ETH: TokenInfo("ETH", 18)}
    for address in addresses:
        contract = erc20(w3, address)
        try:
            symbol = str(contract.functions.symbol().call())
            decimals = int(contract.functions.decimals().call())
        except Exception:  # noqa: S112 (not a token after all: amounts show in base units)
            continue
        tokens[to_checksum_address(address)] = TokenInfo(symbol, decimals)
    return tokens


def site_for_deployment(
    w3: Web3,
    store: DeploymentStore,
    *,
    network: str,
    rpc_url: str | None,
    cid_version: int = 0,
) -> Site:
    """The site of the escrow recorded in ``store``, read from the chain once."""
    record = store.load("TaskEscrow")
    contract = w3.eth.contract(address=to_checksum_address(record.address), abi=record.abi)
    chain_id = int(w3.eth.chain_id)
    token_addresses = [
        item.address
        for item in store.records()
        if item.contract_name != "TaskEscrow"
        and any(entry.get("name") == "decimals" for entry in item.abi)
    ]
    return Site(
        network=network,
        chain_id=chain_id,
        chain_name="Anvil (local)" if chain_id in DEV_CHAIN_IDS else f"chain {chain_id}",
        escrow=to_checksum_address(record.address),
        dispute_window=int(contract.functions.disputeWindow().call()),
        escrow_errors=[entry for entry in record.abi if entry.get("type") == "error"],
        tokens=known_tokens(w3, token_addresses),
        rpc_url=rpc_url if chain_id in DEV_CHAIN_IDS else None,
        cid_version=cid_version,
    )
