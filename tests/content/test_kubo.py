"""The Kubo side: addresses, an unreachable node, the daemon we run, and where Kubo keeps blocks."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from microtask.content import ContentStoreUnavailable, KuboStore
from microtask.content.cid import block_key
from microtask.content.kubo import api_multiaddr
from microtask.content.kubo_daemon import KUBO_VERSION, KuboDaemon, KuboFailed, find_kubo
from microtask.errors import ConfigurationError, ToolchainMissing
from tests.conftest import REPO_ROOT


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("api", "expected"),
    [
        ("/ip4/127.0.0.1/tcp/5001", ("/ip4/127.0.0.1/tcp/5001", "api/v0")),
        ("http://127.0.0.1:5001", ("/ip4/127.0.0.1/tcp/5001/http", "api/v0")),
        (
            "https://ipfs.example.org/rpc/api/v0",
            ("/dns/ipfs.example.org/tcp/443/https", "rpc/api/v0"),
        ),
        ("http://[::1]:5001/", ("/ip6/::1/tcp/5001/http", "api/v0")),
    ],
)
def test_api_addresses_as_multiaddr_or_url(api: str, expected: tuple[str, str]) -> None:
    assert api_multiaddr(api) == expected


@pytest.mark.parametrize(
    "api", ["localhost:5001", "ftp://127.0.0.1:5001", "http://127.0.0.1:99999"]
)
def test_bad_api_addresses_are_configuration_errors(api: str) -> None:
    with pytest.raises(ConfigurationError):
        api_multiaddr(api)


def test_an_unreachable_node_is_an_environment_problem() -> None:
    address = f"http://127.0.0.1:{closed_port()}"
    with (
        KuboStore(address, timeout=5) as store,
        pytest.raises(ContentStoreUnavailable, match=re.escape(address)),
    ):
        store.add_bytes(b"anything")


def test_the_pinned_version_is_the_one_the_build_script_builds() -> None:
    script = (REPO_ROOT / "scripts" / "kubo.sh").read_text(encoding="utf-8")
    assert f"MICROTASK_KUBO_VERSION={KUBO_VERSION}\n" in script


def test_find_kubo_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ToolchainMissing, match=r"scripts/kubo\.sh.*MICROTASK_KUBO_BIN"):
        find_kubo()
    with pytest.raises(ToolchainMissing, match="not an executable"):
        find_kubo(tmp_path / "nothing-here")


def test_find_kubo_honours_the_environment(
    monkeypatch: pytest.MonkeyPatch, kubo_binary: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv("MICROTASK_KUBO_BIN", str(kubo_binary))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_kubo() == kubo_binary
    monkeypatch.setenv("MICROTASK_KUBO_BIN", str(tmp_path / "missing"))
    with pytest.raises(ToolchainMissing, match="MICROTASK_KUBO_BIN="):
        find_kubo()


def test_the_daemon_is_offline_on_loopback(kubo_daemon: KuboDaemon) -> None:
    assert kubo_daemon.api_url.startswith("http://127.0.0.1:")
    assert kubo_daemon.gateway_url.startswith("http://127.0.0.1:")
    config = json.loads((kubo_daemon.repo / "config").read_text())
    assert config["Bootstrap"] == []
    assert config["Addresses"]["Swarm"] == []
    assert config["Discovery"]["MDNS"]["Enabled"] is False
    assert config["Routing"]["Type"] == "none"
    identity = json.loads(kubo_daemon.run("id"))
    assert not identity["Addresses"]
    with pytest.raises(KuboFailed, match="online mode"):
        kubo_daemon.run("swarm", "peers")


def test_both_address_forms_reach_the_same_node(kubo_daemon: KuboDaemon) -> None:
    with KuboStore(kubo_daemon.api_url) as by_url, KuboStore(kubo_daemon.api_multiaddr) as by_addr:
        cid = by_url.add_bytes(b"one node, two spellings")
        assert by_addr.cat(cid) == b"one node, two spellings"
        assert by_url.describe().startswith("Kubo ")
        assert by_url.describe().endswith(f"at {kubo_daemon.api_url}")


def test_kubo_keeps_blocks_where_our_key_says(kubo_daemon: KuboDaemon) -> None:
    """Our block key is Kubo's flatfs name, so a repo's blocks can be found (and checked)."""
    with KuboStore(kubo_daemon.api_url) as store:
        cid = store.add_bytes(b"where does this block live?")
    key = block_key(cid)
    assert (kubo_daemon.repo / "blocks" / key[-3:-1] / f"{key}.data").is_file()


def test_a_daemon_restarts_on_its_repo_and_stops_twice(kubo_binary: Path, tmp_path: Path) -> None:
    daemon = KuboDaemon(kubo_binary, tmp_path / "repo")
    with daemon, KuboStore(daemon.api_url) as store:
        cid = store.add_bytes(b"still here after a restart")
    daemon.stop()
    with pytest.raises(KuboFailed, match="not running"):
        _ = daemon.api_url
    with daemon, KuboStore(daemon.api_url, offline=True) as store:
        assert store.cat(cid) == b"still here after a restart"
