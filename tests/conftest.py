"""Shared fixtures: settings in temporary directories, compiled contracts, real chains.

Chains are real: a session-wide anvil process per test worker (snapshotted and reverted
around each test that uses it) and a fresh in-process eth-tester chain per test. The
escrow's test worlds (``tests/world.py``) and the databases (``tests/database_fixtures.py``:
SQLite and a real PostgreSQL server per worker) are registered here for every directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from microtask.chain.anvil import AnvilProcess, find_anvil
from microtask.chain.artifacts import CompiledProject
from microtask.chain.compiler import compile_project
from microtask.chain.devchain import catch_up_clock
from microtask.chain.embedded import embedded_web3
from microtask.chain.networks import connect_url
from microtask.config import Settings
from microtask.content.kubo_daemon import KuboDaemon, find_kubo
from microtask.errors import ToolchainMissing
from tests.database_fixtures import new_database_url, postgres_server
from tests.world import (
    anvil_world,
    deployment,
    embedded_world,
    fresh_account,
    indexed_world,
    shared_world,
)

__all__ = [  # fixtures defined elsewhere, registered for every test directory
    "anvil_world", "deployment", "embedded_world", "fresh_account", "indexed_world",
    "new_database_url", "postgres_server", "shared_world",
]  # fmt: skip

# Typer sets PYDANTIC_DISABLE_PLUGINS while it builds a command's parameters and deletes it
# afterwards when it was unset. Tests run the CLI in process while indexer and verifier
# threads run, whose HTTP libraries read the environment (proxy settings): a deletion in
# the middle of that read raised KeyError and killed an indexer thread once. Set, the
# variable is only ever restored, never deleted. (microtask uses no Pydantic plugins.)
os.environ["PYDANTIC_DISABLE_PLUGINS"] = "1"

REPO_ROOT = Path(__file__).resolve().parents[1]
# Compiled artifacts are shared between tests and runs (keyed by input hash, so never stale);
# the cache's own behaviour is tested with private cache directories.
SHARED_CACHE = REPO_ROOT / ".microtask" / "test-cache"

SMALL_CONTRACT = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

contract Owned is Ownable2Step {
    constructor() Ownable(msg.sender) {}
}
"""


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings rooted at the repository, writing only under ``data_dir``."""
    values: dict[str, object] = {
        "project_root": REPO_ROOT,
        "data_dir": data_dir / "data",
        "deployments_dir": data_dir / "deployments",
        "cache_dir": SHARED_CACHE,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's MICROTASK_* variables or microtask.toml."""
    import os

    for name in list(os.environ):
        if name.startswith("MICROTASK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MICROTASK_CONFIG", str(tmp_path / "absent.toml"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def session_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("session"))


@pytest.fixture(scope="session")
def compiled(session_settings: Settings) -> CompiledProject:
    """The project's contracts, compiled once per test worker."""
    return compile_project(session_settings)


@pytest.fixture
def small_project(tmp_path: Path) -> Settings:
    """A one-contract project with a private cache, which a test may edit freely."""
    root = tmp_path / "project"
    (root / "contracts").mkdir(parents=True)
    (root / "contracts" / "Owned.sol").write_text(SMALL_CONTRACT)
    return make_settings(
        tmp_path, project_root=root, node_root=REPO_ROOT, cache_dir=tmp_path / "cache"
    )


@pytest.fixture(scope="session")
def anvil_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilProcess]:
    """One real anvil per test worker, on a free port of 127.0.0.1, stopped at the end."""
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    with AnvilProcess(find_anvil(REPO_ROOT), port=0, log_file=log) as process:
        yield process


@pytest.fixture
def anvil_w3(anvil_process: AnvilProcess) -> Iterator[Web3]:
    """A connection to the session's anvil, reverted to its prior state after the test.

    anvil's ``evm_revert`` also rewinds its clock to the snapshot's time, so without help
    the worker's chain would fall behind the wall clock by the length of every test so far,
    and after ten minutes or so a verifier (whose clock, as on a live chain, is never behind
    the wall clock) would find every request signed against the chain's time expired. So
    each test starts with a block at the wall clock's time (`catch_up_clock`), and the
    latest block's time is "now" for tests that read it.
    """
    w3 = connect_url(anvil_process.url)
    catch_up_clock(w3)
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    yield w3
    reverted = w3.provider.make_request("evm_revert", [snapshot])["result"]
    assert reverted, "anvil refused to revert to the test's snapshot"


@pytest.fixture
def embedded_chain() -> Web3:
    return embedded_web3()


@pytest.fixture(params=["embedded", "anvil"])
def any_chain(request: pytest.FixtureRequest) -> Web3:
    """Each test using this runs on both kinds of chain."""
    name = "embedded_chain" if request.param == "embedded" else "anvil_w3"
    w3: Web3 = request.getfixturevalue(name)
    return w3


# ----- Kubo (IPFS): the pinned daemon, for tests/content and the CLI's content commands -----

# Read at import, before the autouse fixture above clears MICROTASK_* for each test.
_CONFIGURED_KUBO = os.environ.get("MICROTASK_KUBO_BIN")


@pytest.fixture(scope="session")
def kubo_binary() -> Path:
    """The Kubo binary scripts/kubo.sh builds (or MICROTASK_KUBO_BIN, or ipfs on PATH).

    Without one, tests that need Kubo skip and say how to get it.
    """
    try:
        return find_kubo(Path(_CONFIGURED_KUBO) if _CONFIGURED_KUBO else None)
    except ToolchainMissing as missing:
        pytest.skip(str(missing))


@pytest.fixture(scope="session")
def kubo_daemon(
    kubo_binary: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KuboDaemon]:
    """One real Kubo daemon per test worker: its own repo, offline, on 127.0.0.1; stopped at end."""
    root = tmp_path_factory.mktemp("kubo")
    with KuboDaemon(kubo_binary, root / "repo", log_file=root / "daemon.log") as daemon:
        yield daemon
