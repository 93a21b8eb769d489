"""`MTurkService`: a requester's gateway, its endpoint and its rounds, ready to serve.

`open_service` builds them over a `microtask.client.Platform` and the requester's signer:
the gateway's state file for this chain, escrow and requester, the requester's access
keys, and the rounds (started and stopped by a `microtask.services.Supervisor`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from eth_account.signers.local import LocalAccount

from microtask.client import Platform, Requester
from microtask.config import Settings
from microtask.mturk.background import GatewayRounds
from microtask.mturk.endpoint import Endpoint
from microtask.mturk.gateway import Gateway
from microtask.mturk.keys import AccessKeyStore
from microtask.mturk.state import GatewayState, state_file


@dataclass
class MTurkService:
    gateway: Gateway
    endpoint: Endpoint
    rounds: GatewayRounds
    name: ClassVar[str] = "the MTurk gateway"

    @property
    def keys(self) -> AccessKeyStore:
        return self.endpoint.keys

    def start(self) -> None:
        self.rounds.start()

    def check(self) -> None:
        self.rounds.check()

    def stop(self) -> None:
        self.rounds.stop()
        self.gateway.state.close()


def open_service(settings: Settings, platform: Platform, signer: LocalAccount) -> MTurkService:
    """The gateway of ``signer``'s requester on ``platform`` (see the module's note)."""
    record = platform.record
    block = platform.w3.eth.get_block(record.block_number)
    identity = {
        "chain_id": str(platform.chain_id),
        "escrow": platform.escrow_address,
        "deployment_block": bytes(block["hash"]).hex(),
        "requester": signer.address,
    }
    state = GatewayState(state_file(settings.data_dir, platform.network, signer.address), identity)
    gateway = Gateway(Requester(platform, signer), state, token=settings.mturk_token)
    keys = AccessKeyStore(settings.data_dir, signer.address)
    endpoint = Endpoint(gateway, keys, bytes(signer.key))
    rounds = GatewayRounds(
        gateway,
        interval=settings.mturk_poll_interval,
        webhook_timeout=settings.mturk_webhook_timeout,
    )
    return MTurkService(gateway, endpoint, rounds)
