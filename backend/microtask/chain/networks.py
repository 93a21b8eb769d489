"""Reach a named network: the embedded chain, a local anvil, or any RPC URL."""

from __future__ import annotations

import re
from dataclasses import dataclass

from web3 import Web3
from web3.exceptions import Web3Exception

from microtask.chain.embedded import embedded_web3
from microtask.config import NetworkProfile, Settings
from microtask.errors import ConfigurationError, EnvironmentProblem

RPC_TIMEOUT_SECONDS = 30
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^\"')]+)")


class NetworkUnreachable(EnvironmentProblem, ConnectionError):
    """No node answers at the network's RPC URL."""


@dataclass(frozen=True)
class Connection:
    """A live connection to one named network."""

    name: str
    profile: NetworkProfile
    w3: Web3
    chain_id: int


def short_reason(error: BaseException) -> str:
    """The operating system's words for a connection failure, without urllib3's wrapping."""
    text = str(error)
    if match := _ERRNO.search(text):
        return match.group(1).lower()
    if "timed out" in text.lower():
        return "timed out"
    return text.splitlines()[0] if text else type(error).__name__


def connect_url(url: str) -> Web3:
    return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": RPC_TIMEOUT_SECONDS}))


def connect(settings: Settings, name: str, *, url: str | None = None) -> Connection:
    """Connect to network ``name``; ``url`` overrides its RPC URL (e.g. a managed anvil's).

    The embedded chain is created fresh, in this process, on every call.
    """
    profile = settings.network(name)
    if profile.kind == "embedded" and url is None:
        w3 = embedded_web3()
    else:
        target = url or profile.url
        assert target is not None  # only the embedded kind has no URL
        w3 = connect_url(target)
    try:
        chain_id = w3.eth.chain_id
    except (OSError, Web3Exception) as error:
        hint = "; is `microtask up` running?" if profile.kind == "anvil" else ""
        raise NetworkUnreachable(
            f"cannot reach network {name!r} at {url or profile.url}: {short_reason(error)}{hint}"
        ) from None
    if profile.chain_id is not None and chain_id != profile.chain_id:
        raise ConfigurationError(
            f"network {name!r} is configured for chain {profile.chain_id} "
            f"but the node at {url or profile.url} serves chain {chain_id}"
        )
    return Connection(name, profile, w3, chain_id)
