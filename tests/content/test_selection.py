"""Which store a process gets: configured Kubo, a running Kubo, or the local store."""

from __future__ import annotations

from pathlib import Path

import pytest

from microtask.config import Settings
from microtask.content import ContentStoreUnavailable, KuboStore, LocalStore, open_content_store
from microtask.content.kubo_daemon import KuboDaemon
from microtask.errors import ConfigurationError
from tests.conftest import make_settings
from tests.content.test_kubo import closed_port


@pytest.fixture
def ipfs_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An IPFS_PATH with no daemon behind it unless a test writes an api file."""
    path = tmp_path / "ipfs"
    path.mkdir()
    monkeypatch.setenv("IPFS_PATH", str(path))
    return path


def test_auto_without_kubo_is_the_local_store(ipfs_path: Path, settings: Settings) -> None:
    store = open_content_store(settings)
    assert isinstance(store, LocalStore)
    assert store.root == settings.data_dir / "content"


def test_a_configured_api_is_used(ipfs_path: Path, tmp_path: Path, kubo_daemon: KuboDaemon) -> None:
    settings = make_settings(tmp_path, ipfs_api=kubo_daemon.api_url)
    with open_content_store(settings) as store:
        assert isinstance(store, KuboStore)
        assert store.api == kubo_daemon.api_url


def test_a_configured_but_unreachable_api_is_an_error(ipfs_path: Path, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, ipfs_api=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(ContentStoreUnavailable, match="cannot reach"):
        open_content_store(settings)


def test_a_running_daemon_is_found_by_its_api_file(
    ipfs_path: Path, settings: Settings, kubo_daemon: KuboDaemon
) -> None:
    (ipfs_path / "api").write_text(kubo_daemon.api_multiaddr)
    with open_content_store(settings) as store:
        assert isinstance(store, KuboStore)


def test_a_stale_api_file_falls_back_to_local_unless_kubo_is_required(
    ipfs_path: Path, tmp_path: Path
) -> None:
    (ipfs_path / "api").write_text(f"/ip4/127.0.0.1/tcp/{closed_port()}")
    assert isinstance(open_content_store(make_settings(tmp_path)), LocalStore)
    with pytest.raises(ContentStoreUnavailable):
        open_content_store(make_settings(tmp_path, content_store="kubo"))


def test_requiring_kubo_without_one_is_a_configuration_error(
    ipfs_path: Path, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError, match="MICROTASK_IPFS_API"):
        open_content_store(make_settings(tmp_path, content_store="kubo"))


def test_local_can_be_insisted_on(ipfs_path: Path, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, content_store="local", ipfs_api="http://127.0.0.1:1")
    assert isinstance(open_content_store(settings), LocalStore)
