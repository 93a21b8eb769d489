"""What was deployed where: ``deployments/<network>/.chainId`` and ``<Contract>.json``.

The ``.chainId`` file guards against pointing a network name at the wrong chain: records
made on one chain are never read against, or overwritten by, another. Each contract's
record carries what an indexer, a client or a verifier needs without recompiling.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from microtask.errors import UserError
from microtask.escrow import VERSION as ESCROW_VERSION
from microtask.files import write_atomically

CHAIN_ID_FILE = ".chainId"
_NETWORK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ChainIdMismatch(UserError):
    """The records of a network name were made on a different chain."""


class DeploymentNotFound(UserError, LookupError):
    """No record of a contract on a network."""


class IncompatibleDeployment(UserError):
    """The record is of an escrow version this microtask does not speak (its ABI differs):
    refused, rather than misread."""


ESCROW = "TaskEscrow"


class DeploymentRecord(BaseModel):
    """One deployed contract (the shape hardhat-deploy made familiar)."""

    contract_name: str
    source: str
    address: str
    abi: list[dict[str, Any]]
    transaction_hash: str
    block_number: int
    deployer: str
    constructor_args: list[Any] = Field(default_factory=list)
    compiler_version: str
    input_hash: str
    chain_id: int
    version: int | None = None
    """The contract's own ``version()`` where it has one (TaskEscrow); None in records made
    before versions existed (TaskEscrow version 1)."""
    deployed_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class DeploymentStore:
    """The records of one network name."""

    def __init__(self, deployments_dir: Path, network: str) -> None:
        if not _NETWORK_NAME.match(network):
            raise UserError(f"invalid network name {network!r}: use letters, digits, _ . -")
        self.network = network
        self.directory = deployments_dir / network

    @property
    def chain_id_file(self) -> Path:
        return self.directory / CHAIN_ID_FILE

    def recorded_chain_id(self) -> int | None:
        try:
            return int(self.chain_id_file.read_text().strip())
        except FileNotFoundError:
            return None
        except ValueError:
            raise UserError(f"{self.chain_id_file} does not hold a chain id") from None

    def guard_chain_id(self, chain_id: int) -> None:
        """Refuse a chain other than the one the records were made on."""
        recorded = self.recorded_chain_id()
        if recorded is not None and recorded != chain_id:
            raise ChainIdMismatch(
                f"network {self.network!r} is connected to chain {chain_id}, but "
                f"{self.chain_id_file} records chain {recorded}; point the network at the "
                "right node, or move that directory away if the records are stale"
            )

    def claim_chain_id(self, chain_id: int) -> None:
        """Guard, then write ``.chainId`` if this is the first record of the network."""
        self.guard_chain_id(chain_id)
        if self.recorded_chain_id() is None:
            write_atomically(self.chain_id_file, f"{chain_id}\n")

    def path_of(self, contract_name: str) -> Path:
        return self.directory / f"{contract_name}.json"

    def load(self, contract_name: str) -> DeploymentRecord:
        path = self.path_of(contract_name)
        try:
            return DeploymentRecord.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            raise DeploymentNotFound(
                f"{contract_name} is not deployed on {self.network!r} (no {path}); "
                f"run `microtask deploy --network {self.network}`"
            ) from None
        except ValidationError as error:
            raise UserError(f"{path} is not a valid deployment record: {error}") from None

    def load_escrow(self) -> DeploymentRecord:
        """The TaskEscrow record, refused unless it is of the version this code speaks."""
        record = self.load(ESCROW)
        if record.version != ESCROW_VERSION:
            found = "no version (version 1)" if record.version is None else record.version
            raise IncompatibleDeployment(
                f"{self.path_of(ESCROW)} records TaskEscrow {found}, but this microtask "
                f"speaks version {ESCROW_VERSION}; redeploy it "
                f"(`microtask deploy --network {self.network} --force`, or `microtask up "
                "--fresh` locally)"
            )
        return record

    def find_escrow(self) -> DeploymentRecord | None:
        """The TaskEscrow record if there is one (checked as `load_escrow` checks it)."""
        return self.load_escrow() if self.find(ESCROW) is not None else None

    def find(self, contract_name: str) -> DeploymentRecord | None:
        try:
            return self.load(contract_name)
        except DeploymentNotFound:
            return None

    def records(self) -> list[DeploymentRecord]:
        """Every record of the network, by contract name (unreadable files are skipped)."""
        found = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                found.append(DeploymentRecord.model_validate_json(path.read_bytes()))
            except (OSError, ValidationError):
                continue
        return found

    def save(self, record: DeploymentRecord) -> Path:
        self.claim_chain_id(record.chain_id)
        path = self.path_of(record.contract_name)
        write_atomically(path, record.model_dump_json(indent=2) + "\n")
        return path
