"""Settings: defaults, environment, config file, network profiles."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from microtask.config import ANVIL_CHAIN_ID, NetworkProfile, Settings
from microtask.errors import ConfigurationError


def test_defaults_put_the_data_directory_in_the_project_worked_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "contracts").mkdir()  # the working directory is a project
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.project_root == tmp_path
    assert settings.data_dir == tmp_path / ".microtask"
    assert settings.deployments_dir == tmp_path / "deployments"
    assert settings.network("local").url == "http://127.0.0.1:8545"
    assert settings.network("local").chain_id == ANVIL_CHAIN_ID
    assert settings.network("embedded").url is None


def test_environment_overrides_with_the_microtask_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROTASK_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("MICROTASK_DEPLOYMENTS_DIR", str(tmp_path / "records"))
    settings = Settings()
    assert settings.data_dir == tmp_path / "elsewhere"
    assert settings.deployments_dir == tmp_path / "records"


def test_relative_paths_are_taken_from_the_project_root(tmp_path: Path) -> None:
    settings = Settings(project_root=tmp_path, contracts_dir=Path("src"))
    assert settings.contracts_dir == tmp_path / "src"
    assert settings.deployments_dir == tmp_path / "deployments"
    assert settings.node_root == tmp_path


def test_the_data_and_cache_directories_are_taken_from_the_project_root_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # a command run outside the project finds its state
    monkeypatch.setenv("MICROTASK_DATA_DIR", "state")
    settings = Settings(project_root=project, cache_dir=Path("build/cache"))
    assert settings.data_dir == project / "state"
    assert settings.cache_path == project / "build" / "cache"
    assert settings.deployments_dir == project / "deployments"
    assert Settings(project_root=project).cache_path == project / "state" / "cache"
    absolute = tmp_path / "absolute"
    assert Settings(project_root=project, data_dir=absolute).data_dir == absolute


def test_config_file_adds_networks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "microtask.toml"
    config.write_text(
        '[networks.staging]\nkind = "rpc"\nrpc_url = "http://10.0.0.5:8545/"\nchain_id = 5\n'
    )
    monkeypatch.setenv("MICROTASK_CONFIG", str(config))
    settings = Settings()
    staging = settings.network("staging")
    assert staging.url == "http://10.0.0.5:8545"
    assert staging.chain_id == 5
    assert "local" in settings.all_networks  # built-ins remain


def test_unknown_network_lists_the_known_ones(settings: Settings) -> None:
    with pytest.raises(ConfigurationError, match="known networks: embedded, local"):
        settings.network("mainnet")


def test_an_rpc_profile_needs_a_url() -> None:
    with pytest.raises(ValidationError, match="needs rpc_url"):
        NetworkProfile(kind="rpc")


def test_unknown_settings_are_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "microtask.toml"
    config.write_text('data_dri = "typo"\n')
    monkeypatch.setenv("MICROTASK_CONFIG", str(config))
    with pytest.raises(ValidationError, match="data_dri"):
        Settings()
