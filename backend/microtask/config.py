"""One settings object for every part of microtask.

Values come, highest priority first, from keyword arguments, ``MICROTASK_*`` environment
variables, a TOML config file (``MICROTASK_CONFIG``, else ``microtask.toml`` in the working
directory) and the defaults below. Secrets never live in the file: keys are in encrypted
keystores and passwords come from a prompt or ``MICROTASK_PASSWORD_FILE``.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, HttpUrl, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from microtask.errors import ConfigurationError

ENV_PREFIX = "MICROTASK_"
DEFAULT_CONFIG_FILE = "microtask.toml"

# Hardhat and anvil derive their development accounts from this public mnemonic; using it on
# the embedded chain too gives both chains the same funded addresses.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
ANVIL_CHAIN_ID = 31337


def _source_checkout() -> Path | None:
    """The repository this package runs from, when it runs from a checkout (editable install)."""
    candidate = Path(__file__).resolve().parents[2]
    if (candidate / "contracts").is_dir() and (candidate / "package.json").is_file():
        return candidate
    return None


def _default_project_root() -> Path:
    """The working directory when it holds a project, else the checkout this code came from."""
    cwd = Path.cwd()
    if (cwd / "contracts").is_dir():
        return cwd
    return _source_checkout() or cwd


class NetworkProfile(BaseModel):
    """Where a named network lives and how microtask reaches it.

    ``anvil`` is a local testnet that ``microtask up`` starts and stops itself, ``embedded``
    is an in-process eth-tester chain that lives as long as the process, and ``rpc`` is any
    EVM node reached by URL.
    """

    kind: Literal["anvil", "embedded", "rpc"] = "rpc"
    rpc_url: HttpUrl | None = None
    chain_id: int | None = Field(default=None, gt=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8545, ge=0, le=65535)

    @model_validator(mode="after")
    def _rpc_needs_url(self) -> NetworkProfile:
        if self.kind == "rpc" and self.rpc_url is None:
            raise ValueError("a network of kind 'rpc' needs rpc_url")
        return self

    @property
    def url(self) -> str | None:
        """The JSON-RPC URL, or None for the embedded chain."""
        if self.kind == "embedded":
            return None
        if self.rpc_url is not None:
            return str(self.rpc_url).rstrip("/")
        return f"http://{self.host}:{self.port}"


class EscrowDeployment(BaseModel):
    """How `microtask deploy` configures a new TaskEscrow.

    The dispute window and arbitration timeout are fixed for the contract's life (so no
    task's rules change under it); the fee, treasury and default arbitrator can be changed
    later by the owner, the fee only for tasks created afterwards.
    """

    fee_bps: int = Field(default=100, ge=0, le=1000, description="Fee in basis points (1%).")
    treasury: str | None = Field(default=None, description="Fee recipient; default: deployer.")
    arbitrator: str | None = Field(
        default=None, description="Default arbitrator; default: the deployer."
    )
    dispute_window: int = Field(default=3 * 24 * 3600, gt=0, le=365 * 24 * 3600)
    arbitration_timeout: int = Field(default=7 * 24 * 3600, gt=0, le=365 * 24 * 3600)


def _builtin_networks() -> dict[str, NetworkProfile]:
    return {
        "local": NetworkProfile(kind="anvil", chain_id=ANVIL_CHAIN_ID),
        "embedded": NetworkProfile(kind="embedded"),
    }


class Settings(BaseSettings):
    """Everything configurable, in one place."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
    )

    project_root: Path = Field(default_factory=_default_project_root)
    # Relative paths below are taken from project_root, never from the working directory:
    # the chain state, keys and caches (data_dir) then always sit beside the deployment
    # records that describe that chain, wherever in the project a command runs.
    data_dir: Path = Path(".microtask")
    contracts_dir: Path = Path("contracts")
    deployments_dir: Path = Path("deployments")
    node_root: Path = Field(
        default=Path(), description="Directory holding node_modules (solc, anvil, OpenZeppelin)."
    )
    cache_dir: Path | None = Field(
        default=None, description="Compiler and other caches; default: DATA_DIR/cache."
    )
    solc: Path | None = Field(default=None, description="A native solc to use instead of solcjs.")
    networks: dict[str, NetworkProfile] = Field(default_factory=dict)
    escrow: EscrowDeployment = Field(default_factory=EscrowDeployment)
    anvil_block_time: float | None = Field(
        default=None, gt=0, description="Seconds between anvil blocks; None mines on demand."
    )
    # Content (see microtask.content): which store, and how it behaves.
    content_store: Literal["auto", "local", "kubo"] = Field(
        default="auto",
        description=(
            "auto: a Kubo node if ipfs_api is set or a running one is found (its IPFS_PATH api "
            "file), else the embedded local store; local or kubo to insist on one."
        ),
    )
    ipfs_api: str | None = Field(
        default=None,
        description="Kubo RPC API, a multiaddr (/ip4/127.0.0.1/tcp/5001) or URL.",
    )
    ipfs_timeout: float = Field(
        default=60.0, gt=0, description="Seconds a Kubo request may take before it fails."
    )
    ipfs_offline: bool = Field(
        default=False,
        description="Ask the Kubo node never to search the network for content it lacks.",
    )
    content_cid_version: Literal[0, 1] = Field(
        default=0, description="CID version for adds: 0 as `ipfs add`, 1 with raw leaves."
    )
    content_fsync: bool = Field(
        default=True,
        description="fsync each block the local store writes (off: faster, not crash-proof).",
    )

    # Index database and indexer (see microtask.db and microtask.indexer).
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the index database, e.g. postgresql://user@host/db (psycopg 3);"
            " default: SQLite at DATA_DIR/index-<network>.sqlite."
        ),
    )
    confirmations: int = Field(
        default=0,
        ge=0,
        le=10_000,
        description=(
            "Blocks the indexer stays behind the chain head: 0 on a local testnet, the "
            "chain's usual reorganisation depth elsewhere (reorgs are rolled back either way)."
        ),
    )
    poll_interval: float = Field(
        default=0.5, gt=0, le=3600, description="Seconds between polls once caught up."
    )
    log_range_initial: int = Field(
        default=2_000, ge=1, description="Blocks per eth_getLogs request to start with."
    )
    log_range_max: int = Field(
        default=50_000,
        ge=1,
        description="Most blocks per eth_getLogs request; ranges shrink when a node refuses.",
    )
    log_range_target_events: int = Field(
        default=5_000,
        ge=1,
        description="The range grows while a request returns fewer events than this.",
    )
    rpc_retry_max: float = Field(
        default=30.0, gt=0, description="Longest wait between retries while the RPC node is down."
    )
    manifest_retry_base: float = Field(
        default=5.0, gt=0, description="Seconds before the first retry of an unreachable manifest."
    )
    manifest_retry_max: float = Field(
        default=3600.0, gt=0, description="Longest wait between retries of a manifest."
    )

    # The HTTP API (see microtask.api).
    api_url: str | None = Field(
        default=None,
        description="Where CLI commands reach the API; default: http://API_HOST:API_PORT.",
    )
    api_host: str = Field(
        default="127.0.0.1",
        description="Address the API listens on; 127.0.0.1 keeps it on this machine.",
    )
    api_port: int = Field(default=8000, ge=0, le=65535, description="The API's port (0 = any).")
    api_workers: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="Processes serving the API under `microtask up` and `microtask api`; "
        "default: one per core on PostgreSQL, 1 on SQLite (a single writer).",
    )
    api_cors_origins: list[str] = Field(
        default_factory=list,
        description='Origins browsers may call the API from, e.g. ["http://localhost:5173"].',
    )
    api_upload_max_bytes: int = Field(
        default=16 << 20,
        ge=1,
        le=1 << 30,
        description="Largest raw upload (POST /content as application/octet-stream): 413 above.",
    )
    api_events_poll_interval: float = Field(
        default=0.25, gt=0, le=60, description="Seconds between the live feed's database polls."
    )
    api_events_keepalive: float = Field(
        default=15.0, gt=0, le=3600, description="Seconds of quiet before a keep-alive comment."
    )

    # The verifier (see microtask.verifier): `microtask verifier`, and inside `microtask up`.
    verifier_url: str | None = Field(
        default=None,
        description="Where CLI commands reach the verifier; default: the API's URL (`up` "
        "serves the verifier's routes inside the API).",
    )
    verifier_host: str = Field(
        default="127.0.0.1", description="Address `microtask verifier` listens on."
    )
    verifier_port: int = Field(
        default=8001, ge=0, le=65535, description="The port of `microtask verifier` (0 = any)."
    )
    verifier_poll_interval: float = Field(
        default=2.0, gt=0, le=3600, description="Seconds between the verifier's rounds."
    )
    # The MTurk gateway (see microtask.mturk).
    mturk_host: str = Field(
        default="127.0.0.1", description="Address `microtask mturk serve` listens on."
    )
    mturk_port: int = Field(
        default=8002, ge=0, le=65535, description="The port of `microtask mturk serve` (0 = any)."
    )
    mturk_token: str = Field(
        default="dUSD",
        description="What HITs pay in: the symbol of a token deployed on the network, or an "
        "ERC-20 address (a stablecoin: MTurk's rewards are dollars).",
    )
    mturk_poll_interval: float = Field(
        default=1.0,
        gt=0,
        le=3600,
        description="Seconds between the gateway's rounds (notifications, auto-approval).",
    )
    mturk_webhook_timeout: float = Field(
        default=10.0, gt=0, le=300, description="Seconds a notification webhook may take."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get(f"{ENV_PREFIX}CONFIG", DEFAULT_CONFIG_FILE))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=config_file),
        )

    @model_validator(mode="after")
    def _resolve_paths(self) -> Settings:
        root = self.project_root = self.project_root.resolve()
        self.data_dir = (root / self.data_dir).resolve()  # an absolute path stays as given
        self.contracts_dir = root / self.contracts_dir
        self.deployments_dir = root / self.deployments_dir
        self.node_root = root / self.node_root
        self.cache_dir = (root / (self.cache_dir or self.data_dir / "cache")).resolve()
        return self

    @cached_property
    def all_networks(self) -> dict[str, NetworkProfile]:
        """Built-in networks, overridden or extended by configured ones."""
        return {**_builtin_networks(), **self.networks}

    def network(self, name: str) -> NetworkProfile:
        """The profile called ``name``; raises a readable error listing the known ones."""
        try:
            return self.all_networks[name]
        except KeyError:
            known = ", ".join(sorted(self.all_networks))
            raise ConfigurationError(
                f"unknown network {name!r}; known networks: {known} "
                f"(add more under [networks.NAME] in {DEFAULT_CONFIG_FILE})"
            ) from None

    @property
    def cache_path(self) -> Path:
        assert self.cache_dir is not None  # set by _resolve_paths
        return self.cache_dir

    @property
    def content_dir(self) -> Path:
        """The embedded content store's blocks and pins."""
        return self.data_dir / "content"
