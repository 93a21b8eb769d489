"""Deploy, record, interact, redeploy: on the embedded chain and on a real anvil."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from web3 import Web3

from microtask.chain.accounts import dev_accounts
from microtask.chain.artifacts import CompiledProject
from microtask.chain.compiler import compile_project
from microtask.chain.deployer import (
    ContractPlan,
    deploy_contract,
    deploy_platform,
    deployed_contract,
    runtime_code_matches,
)
from microtask.chain.deployments import (
    CHAIN_ID_FILE,
    ChainIdMismatch,
    DeploymentNotFound,
    DeploymentRecord,
    DeploymentStore,
)
from microtask.chain.reverts import TransactionReverted
from microtask.chain.transactions import TransactionSender
from microtask.config import Settings
from microtask.errors import UserError
from tests.conftest import REPO_ROOT


@pytest.fixture
def store(tmp_path: Path) -> DeploymentStore:
    return DeploymentStore(tmp_path / "deployments", "testnet")


@pytest.fixture
def sender(any_chain: Web3) -> TransactionSender:
    return TransactionSender(any_chain, dev_accounts()[0])


def test_deploy_records_everything_the_issue_lists(
    sender: TransactionSender, store: DeploymentStore, compiled: CompiledProject
) -> None:
    [outcome] = deploy_platform(sender, store, compiled)
    assert outcome.action == "deployed"
    record_file = store.path_of("TaskEscrow")
    raw = json.loads(record_file.read_text())
    for field in (
        "address",
        "abi",
        "transaction_hash",
        "block_number",
        "deployer",
        "constructor_args",
        "compiler_version",
        "input_hash",
    ):
        assert field in raw, field
    assert raw["deployer"] == sender.address
    assert raw["constructor_args"] == [
        sender.address,  # owner
        sender.address,  # treasury
        100,  # fee: 1%
        sender.address,  # default arbitrator
        3 * 24 * 3600,  # dispute window
        7 * 24 * 3600,  # arbitration timeout
    ]
    assert raw["input_hash"] == compiled.input_hash
    assert int(store.chain_id_file.read_text()) == sender.w3.eth.chain_id
    receipt = sender.w3.eth.get_transaction_receipt(raw["transaction_hash"])
    assert receipt["contractAddress"] == raw["address"]
    assert receipt["blockNumber"] == raw["block_number"]


def test_record_round_trips(
    sender: TransactionSender, store: DeploymentStore, compiled: CompiledProject
) -> None:
    [outcome] = deploy_platform(sender, store, compiled)
    assert store.load("TaskEscrow") == outcome.record
    assert DeploymentRecord.model_validate_json(outcome.record.model_dump_json()) == outcome.record


def test_deployed_contract_can_be_called_and_transacted(
    sender: TransactionSender, store: DeploymentStore, compiled: CompiledProject
) -> None:
    deploy_platform(sender, store, compiled)
    escrow = deployed_contract(sender.w3, store, "TaskEscrow")
    assert escrow.functions.owner().call() == sender.address
    assert escrow.functions.treasury().call() == sender.address
    new_treasury = dev_accounts()[3].address
    receipt = sender.transact(escrow.functions.setTreasury(new_treasury))
    assert escrow.functions.treasury().call() == new_treasury
    [event] = escrow.events.TreasuryChanged().process_receipt(receipt)
    assert event["args"]["current"] == new_treasury


def test_reverts_are_decoded_into_custom_errors(
    sender: TransactionSender, store: DeploymentStore, compiled: CompiledProject
) -> None:
    deploy_platform(sender, store, compiled)
    escrow = deployed_contract(sender.w3, store, "TaskEscrow")
    with pytest.raises(TransactionReverted) as invalid:
        sender.transact(escrow.functions.setTreasury("0x" + "00" * 20))
    assert invalid.value.error == "ZeroAddress"
    stranger = TransactionSender(sender.w3, dev_accounts()[5])
    with pytest.raises(TransactionReverted) as unauthorized:
        stranger.transact(escrow.functions.setTreasury(stranger.address))
    assert unauthorized.value.error == "OwnableUnauthorizedAccount"
    assert unauthorized.value.error_args == {"account": stranger.address}


def test_redeploy_of_unchanged_code_is_skipped(
    sender: TransactionSender, store: DeploymentStore, compiled: CompiledProject
) -> None:
    [first] = deploy_platform(sender, store, compiled)
    height = sender.w3.eth.block_number
    [second] = deploy_platform(sender, store, compiled)
    assert second.action == "unchanged"
    assert second.record.address == first.record.address
    assert sender.w3.eth.block_number == height  # nothing was sent


def test_force_redeploys_to_a_new_address(
    sender: TransactionSender, store: DeploymentStore, compiled: CompiledProject
) -> None:
    [first] = deploy_platform(sender, store, compiled)
    [second] = deploy_platform(sender, store, compiled, force=True)
    assert second.action == "deployed"
    assert second.reason == "redeployed (--force)"
    assert second.record.address != first.record.address
    assert store.load("TaskEscrow").address == second.record.address


def test_a_record_pointing_at_other_code_is_replaced(
    sender: TransactionSender, store: DeploymentStore, compiled: CompiledProject
) -> None:
    [first] = deploy_platform(sender, store, compiled)
    # the recorded address now holds no code, as after a chain reset
    stale = first.record.model_copy(update={"address": dev_accounts()[9].address})
    store.save(stale)
    [second] = deploy_platform(sender, store, compiled)
    assert second.action == "deployed"
    assert second.reason == "the recorded address does not hold this code"


def test_chain_id_mismatch_is_refused_and_nothing_is_overwritten(
    sender: TransactionSender, store: DeploymentStore, compiled: CompiledProject
) -> None:
    store.directory.mkdir(parents=True)
    store.chain_id_file.write_text("1\n")
    height = sender.w3.eth.block_number
    with pytest.raises(ChainIdMismatch, match="records chain 1"):
        deploy_platform(sender, store, compiled)
    assert sender.w3.eth.block_number == height
    assert store.chain_id_file.read_text() == "1\n"
    assert not store.path_of("TaskEscrow").exists()


def test_loading_a_missing_record_says_how_to_deploy(store: DeploymentStore) -> None:
    with pytest.raises(DeploymentNotFound, match="microtask deploy --network testnet"):
        store.load("TaskEscrow")


def test_network_names_cannot_escape_the_deployments_directory(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="invalid network name"):
        DeploymentStore(tmp_path, "../elsewhere")


IMMUTABLE_SOURCE = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract Stamped {
    uint256 public immutable stamp;
    address public immutable creator;
    constructor(uint256 value) { stamp = value; creator = msg.sender; }
}
"""


def test_immutables_do_not_defeat_the_unchanged_check(
    embedded_chain: Web3, tmp_path: Path, settings: Settings
) -> None:
    (tmp_path / "project" / "contracts").mkdir(parents=True)
    (tmp_path / "project" / "contracts" / "Stamped.sol").write_text(IMMUTABLE_SOURCE)
    project_settings = settings.model_copy(
        update={
            "project_root": tmp_path / "project",
            "contracts_dir": tmp_path / "project" / "contracts",
            "node_root": settings.project_root,
        }
    )
    project = compile_project(project_settings)
    artifact = project.get("Stamped")
    assert artifact.immutable_references, "the test contract must have immutables"
    sender = TransactionSender(embedded_chain, dev_accounts()[0])
    store = DeploymentStore(tmp_path / "deployments", "embedded")
    plan = ContractPlan("Stamped", lambda deployer: [424242])
    first = deploy_contract(sender, store, artifact, plan.constructor_args(sender.account.address))
    code = bytes(embedded_chain.eth.get_code(first.record.address))  # type: ignore[arg-type]
    assert code != bytes.fromhex(artifact.deployed_bytecode[2:])  # immutables filled in
    assert runtime_code_matches(code, artifact)
    again = deploy_contract(sender, store, artifact, [424242])
    assert again.action == "unchanged"
    tampered = bytearray(code)
    tampered[-40] ^= 0xFF  # a byte outside the immutables
    assert not runtime_code_matches(bytes(tampered), artifact)


def test_the_deployments_folder_documents_every_record_field_and_ignores_local_chains() -> None:
    readme = (REPO_ROOT / "deployments" / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)` \|", readme, flags=re.MULTILINE))
    assert documented == set(DeploymentRecord.model_fields)
    assert f"`{CHAIN_ID_FILE}`" in readme
    ignored = (REPO_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {"deployments/local/", "deployments/embedded/"} <= set(ignored)
    assert not any(line.strip("/") == "deployments" for line in ignored)
