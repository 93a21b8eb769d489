"""Deploy the platform's contracts and record them, idempotently.

A contract is deployed again only when it is missing on the chain or its code changed:
if the recorded address on the same chain holds exactly the compiled runtime code
(immutables aside, since the constructor fills those in), the deploy is reported and
skipped. ``force`` redeploys regardless.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract

from microtask.chain.artifacts import Artifact, CompiledProject
from microtask.chain.deployments import DeploymentRecord, DeploymentStore
from microtask.chain.transactions import TransactionSender
from microtask.config import EscrowDeployment


@dataclass(frozen=True)
class ContractPlan:
    """One contract to deploy, and how its constructor arguments are chosen."""

    name: str
    constructor_args: Callable[[ChecksumAddress], list[Any]]
    """Given the deployer's address, the constructor's arguments."""


def _escrow_args(escrow: EscrowDeployment, deployer: ChecksumAddress) -> list[Any]:
    return [
        deployer,  # owner
        Web3.to_checksum_address(escrow.treasury) if escrow.treasury else deployer,
        escrow.fee_bps,
        Web3.to_checksum_address(escrow.arbitrator) if escrow.arbitrator else deployer,
        escrow.dispute_window,
        escrow.arbitration_timeout,
    ]


def platform_plan(escrow: EscrowDeployment | None = None) -> tuple[ContractPlan, ...]:
    """What `microtask deploy` puts on a chain, in order."""
    chosen = escrow or EscrowDeployment()
    return (ContractPlan("TaskEscrow", lambda deployer: _escrow_args(chosen, deployer)),)


@dataclass(frozen=True)
class DeployOutcome:
    record: DeploymentRecord
    action: Literal["deployed", "unchanged"]
    reason: str


def _mask_immutables(code: bytes, artifact: Artifact) -> bytes:
    masked = bytearray(code)
    for references in artifact.immutable_references.values():
        for reference in references:
            start, length = reference["start"], reference["length"]
            masked[start : start + length] = bytes(length)
    return bytes(masked)


def runtime_code_matches(on_chain: bytes, artifact: Artifact) -> bool:
    """Whether ``on_chain`` is ``artifact``'s runtime code with its immutables filled in."""
    compiled = bytes.fromhex(artifact.deployed_bytecode.removeprefix("0x"))
    if len(on_chain) != len(compiled):
        return False
    return _mask_immutables(on_chain, artifact) == _mask_immutables(compiled, artifact)


def _reusable(w3: Web3, record: DeploymentRecord | None, artifact: Artifact) -> str | None:
    """Why the recorded deployment can stay, or None when it must be replaced."""
    if record is None:
        return None
    code = bytes(w3.eth.get_code(Web3.to_checksum_address(record.address)))
    if runtime_code_matches(code, artifact):
        return f"already at {record.address} with the same code"
    return None


def _version_of(w3: Web3, address: str, artifact: Artifact) -> int | None:
    """The contract's ``version()`` if its ABI has one (TaskEscrow), for its record."""
    if not any(
        e.get("type") == "function" and e.get("name") == "version" and not e.get("inputs")
        for e in artifact.abi
    ):
        return None
    contract = w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifact.abi)
    return int(contract.functions.version().call())


def deploy_contract(
    sender: TransactionSender,
    store: DeploymentStore,
    artifact: Artifact,
    constructor_args: Sequence[Any],
    *,
    force: bool = False,
) -> DeployOutcome:
    """Deploy one contract unless an identical one is recorded on this chain."""
    w3 = sender.w3
    chain_id = w3.eth.chain_id
    store.guard_chain_id(chain_id)
    previous = store.find(artifact.name)
    if not force and (reason := _reusable(w3, previous, artifact)):
        assert previous is not None
        return DeployOutcome(previous, "unchanged", reason)

    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = sender.transact(factory.constructor(*constructor_args))
    address = receipt["contractAddress"]
    assert address is not None  # a successful creation receipt always carries it
    record = DeploymentRecord(
        version=_version_of(w3, str(address), artifact),
        contract_name=artifact.name,
        source=artifact.source,
        address=str(address),
        abi=artifact.abi,
        transaction_hash=receipt["transactionHash"].to_0x_hex(),
        block_number=receipt["blockNumber"],
        deployer=sender.address,
        constructor_args=list(constructor_args),
        compiler_version=artifact.compiler_version,
        input_hash=artifact.input_hash,
        chain_id=chain_id,
    )
    store.save(record)
    if force and previous is not None:
        reason = "redeployed (--force)"
    elif previous is None:
        reason = "first deployment on this network"
    else:
        reason = "the recorded address does not hold this code"
    return DeployOutcome(record, "deployed", reason)


def deploy_platform(
    sender: TransactionSender,
    store: DeploymentStore,
    project: CompiledProject,
    *,
    plan: Sequence[ContractPlan] | None = None,
    force: bool = False,
) -> list[DeployOutcome]:
    """Deploy every contract of ``plan`` (default: the platform's) in order."""
    return [
        deploy_contract(
            sender,
            store,
            project.get(item.name),
            item.constructor_args(sender.account.address),
            force=force,
        )
        for item in (plan if plan is not None else platform_plan())
    ]


def deployed_contract(w3: Web3, store: DeploymentStore, name: str) -> Contract:
    """A web3 contract bound to the recorded address of ``name`` on this chain."""
    store.guard_chain_id(w3.eth.chain_id)
    record = store.load(name)
    return w3.eth.contract(address=Web3.to_checksum_address(record.address), abi=record.abi)
