"""Reach a named network: the embedded chain, a local anvil, or any RPC URL.

`reach` finds the network and asks its chain id (over plain JSON-RPC: no web3 needed, so
a read-only command starts fast); `Endpoint.connect` then gives a web3 connection.
`connect` does both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from microtask.chain.rpc import (
    RPC_TIMEOUT_SECONDS,
    CallFailed,
    JsonRpc,
    NetworkUnreachable,
    short_reason,
)
from microtask.config import NetworkProfile, Settings
from microtask.errors import ConfigurationError

if TYPE_CHECKING:
    from web3 import Web3

__all__ = [
    "RPC_TIMEOUT_SECONDS",
    "Connection",
    "Endpoint",
    "NetworkUnreachable",
    "connect",
    "connect_url",
    "reach",
    "short_reason",
]


@dataclass(frozen=True)
class Connection:
    """A live connection to one named network."""

    name: str
    profile: NetworkProfile
    w3: Web3
    chain_id: int


@dataclass(frozen=True)
class Endpoint:
    """A named network found answering at ``url`` with ``chain_id`` (for the embedded
    chain, which has no URL, the in-process connection itself)."""

    name: str
    profile: NetworkProfile
    url: str | None
    chain_id: int
    embedded: Connection | None = None

    def connect(self) -> Connection:
        """A web3 connection to the endpoint (the embedded chain's own, if it is that)."""
        if self.embedded is not None:
            return self.embedded
        assert self.url is not None  # only the embedded chain has no URL
        return Connection(self.name, self.profile, connect_url(self.url), self.chain_id)


def connect_url(url: str) -> Web3:
    from web3 import Web3

    return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": RPC_TIMEOUT_SECONDS}))


def reach(
    settings: Settings, name: str, *, url: str | None = None, http: httpx.Client | None = None
) -> Endpoint:
    """Find network ``name`` and check it answers with the configured chain id; ``url``
    overrides its RPC URL (e.g. a managed anvil's); ``http`` is a client to ask through.
    The embedded chain is created fresh, in this process, on every call."""
    profile = settings.network(name)
    target = url or profile.url
    embedded = None
    try:
        if profile.kind == "embedded" and url is None:
            from microtask.chain.embedded import embedded_web3

            w3 = embedded_web3()
            chain_id = int(w3.eth.chain_id)
            embedded = Connection(name, profile, w3, chain_id)
        else:
            assert target is not None  # only the embedded kind has no URL
            with JsonRpc(target, http=http) as rpc:
                chain_id = rpc.chain_id()
    except (NetworkUnreachable, CallFailed) as error:
        hint = "; is `microtask up` running?" if profile.kind == "anvil" else ""
        raise NetworkUnreachable(
            f"cannot reach network {name!r} at {target}: {error}{hint}"
        ) from None
    if profile.chain_id is not None and chain_id != profile.chain_id:
        raise ConfigurationError(
            f"network {name!r} is configured for chain {profile.chain_id} "
            f"but the node at {target} serves chain {chain_id}"
        )
    return Endpoint(name, profile, target, chain_id, embedded)


def connect(settings: Settings, name: str, *, url: str | None = None) -> Connection:
    """Connect to network ``name`` (see `reach`) through web3."""
    return reach(settings, name, url=url).connect()
