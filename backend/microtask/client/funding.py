"""What a browser wallet signs and sends to fund a drafted task.

`Requester.create_task` does it all with a local key. A web server holds no key: it
uploads the manifest, then hands the page this request (the ``createTask`` parameters with
the front-running guard set, the amount, and the EIP-2612 permit to sign when the token
has one, else whether an ``approve`` is needed first); the wallet signs and sends.

Example::

    request = funding_request(Requester(platform, address=who), draft)
    request.browser_json()   # {"params": {...}, "permit": {...} | None, ...}
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from microtask.chain.erc20 import PERMIT_TYPES, erc20, permit_request
from microtask.client.requester import PERMIT_LIFETIME, Requester, TaskDraft
from microtask.client.tokens import Token
from microtask.encoding.eip712 import DOMAIN_TYPE
from microtask.escrow import TaskParams


@dataclass(frozen=True)
class FundingRequest:
    """A drafted task's funding, for a wallet to sign and send."""

    manifest_cid: str
    params: TaskParams
    token: Token
    total: int
    """What funding takes from the wallet: (reward + fee) per slot."""
    permit: dict[str, Any] | None
    """The EIP-712 permit (``eth_signTypedData_v4``'s document), when the token has one."""
    permit_deadline: int
    allowance: int
    """What the escrow may take from the wallet already (an approve is needed if less)."""

    @property
    def value(self) -> int:
        """The ETH the ``createTask`` transaction carries (ETH tasks only)."""
        return self.total if self.token.is_eth else 0

    def browser_json(self) -> dict[str, Any]:
        """JSON for the page: integers as decimal strings (a JavaScript number is 53 bits)."""
        abi = self.params.as_abi()
        params = {
            name: ("0x" + value.hex() if isinstance(value, bytes) else value)
            for name, value in abi.items()
        }
        params = {k: str(v) if isinstance(v, int) else v for k, v in params.items()}
        return {
            "manifest_cid": self.manifest_cid,
            "params": params,
            "token": self.token.address,
            "total": str(self.total),
            "value": str(self.value),
            "permit": self.permit,
            "permit_deadline": str(self.permit_deadline),
            "needs_approval": not self.token.is_eth and self.allowance < self.total,
        }


def funding_request(requester: Requester, draft: TaskDraft) -> FundingRequest:
    """Upload the draft's manifest and say how the requester's wallet funds the task."""
    platform = requester.platform
    cid = platform.content.add_json(draft.manifest.model_dump(mode="json"))
    params = replace(draft.guarded_params, manifest_cid=bytes(cid))
    deadline = draft.drafted_at + PERMIT_LIFETIME
    permit = None
    allowance = 0
    if not draft.token.is_eth:
        escrow = platform.escrow_address
        found = permit_request(
            platform.w3, draft.token.address, requester.address, escrow, draft.escrowed, deadline
        )
        if found is not None:
            domain, message = found
            permit = {
                "types": {"EIP712Domain": DOMAIN_TYPE, **PERMIT_TYPES},
                "primaryType": "Permit",
                "domain": dict(domain),
                "message": {k: str(v) if isinstance(v, int) else v for k, v in message.items()},
            }
        contract = erc20(platform.w3, draft.token.address)
        allowance = int(contract.functions.allowance(requester.address, escrow).call())
    return FundingRequest(
        str(cid), params, draft.token, draft.escrowed, permit, deadline, allowance
    )
