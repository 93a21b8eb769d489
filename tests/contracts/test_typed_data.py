"""The Python EIP-712 encodings hash to exactly what the contract verifies."""

from __future__ import annotations

from microtask.chain.typed_data import Approval, Receipt
from microtask.encoding.eip712 import digest
from tests.world import World


def test_receipt_digest_matches_the_contract(world: World) -> None:
    receipt = Receipt(
        7, 3, world.workers[0].address, bytes(range(32)), 1_700_000_000, 1_800_000_000
    )
    ours = digest(receipt.signable(world.w3.eth.chain_id, world.escrow.address))
    theirs = world.deployment.escrow.functions.receiptDigest(receipt.message()).call()
    assert ours == theirs


def test_approval_digest_matches_the_contract(world: World) -> None:
    approval = Approval(
        9,
        (0, 5, 4_000_000_000),
        (world.workers[0].address, world.workers[1].address, world.workers[2].address),
        123,
    )
    ours = digest(approval.signable(world.w3.eth.chain_id, world.escrow.address))
    theirs = world.deployment.escrow.functions.approvalDigest(approval.message()).call()
    assert ours == theirs


def test_digest_depends_on_chain_and_contract(world: World) -> None:
    receipt = Receipt(1, 0, world.workers[0].address, bytes(32), 1, 2)
    here = digest(receipt.signable(world.w3.eth.chain_id, world.escrow.address))
    other_chain = digest(receipt.signable(1, world.escrow.address))
    other_contract = digest(receipt.signable(world.w3.eth.chain_id, world.token.address))
    assert len({here, other_chain, other_contract}) == 3
