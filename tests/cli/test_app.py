"""The CLI: help, exit codes, and one-line errors without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from microtask.cli.app import run
from microtask.cli.exit_codes import ExitCode
from tests.conftest import REPO_ROOT, SHARED_CACHE


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MICROTASK_PROJECT_ROOT", str(REPO_ROOT))
    monkeypatch.setenv("MICROTASK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MICROTASK_DEPLOYMENTS_DIR", str(tmp_path / "deployments"))
    monkeypatch.setenv("MICROTASK_CACHE_DIR", str(SHARED_CACHE))
    return tmp_path


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_help_lists_the_command_groups(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == ExitCode.OK
    out = capsys.readouterr().out
    for command in ("up", "compile", "deploy"):
        assert command in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == ExitCode.OK
    assert capsys.readouterr().out.startswith("microtask ")


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["frobnicate"]) == ExitCode.USAGE
    assert "No such command" in capsys.readouterr().err


def test_compile_reports_contracts(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["compile"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "TaskEscrow" in out
    assert run(["compile"]) == ExitCode.OK
    assert "from cache" in capsys.readouterr().out


def test_compile_error_shows_solcs_location(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    contracts = cli_env / "project" / "contracts"
    contracts.mkdir(parents=True)
    (contracts / "Bad.sol").write_text("pragma solidity ^0.8.24;\ncontract Bad { uint x = ; }\n")
    monkeypatch.setenv("MICROTASK_PROJECT_ROOT", str(cli_env / "project"))
    monkeypatch.setenv("MICROTASK_NODE_ROOT", str(REPO_ROOT))
    assert run(["compile"]) == ExitCode.USER_ERROR
    err = capsys.readouterr().err
    assert err.startswith("error: solc reported 1 error")
    assert "contracts/Bad.sol:2:" in err
    assert "Traceback" not in err


def test_deploy_to_the_embedded_chain(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["deploy", "--network", "embedded"]) == ExitCode.OK
    assert "TaskEscrow deployed at 0x" in capsys.readouterr().out
    record = json.loads((cli_env / "deployments" / "embedded" / "TaskEscrow.json").read_text())
    assert record["contract_name"] == "TaskEscrow"


def test_unknown_network_is_a_user_error(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["deploy", "--network", "nowhere"]) == ExitCode.USER_ERROR
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("error: unknown network 'nowhere'")


def test_unreachable_node_is_an_environment_error(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # port 9 (discard) on loopback: nothing listens there
    code = run(["deploy", "--network", "local", "--rpc-url", "http://127.0.0.1:9"])
    assert code == ExitCode.ENVIRONMENT
    line = _one_error_line(capsys.readouterr().err)
    assert "cannot reach network 'local' at http://127.0.0.1:9: connection refused" in line


def test_remote_network_needs_an_account(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = cli_env / "microtask.toml"
    config.write_text('[networks.remote]\nrpc_url = "http://127.0.0.1:9"\n')
    monkeypatch.setenv("MICROTASK_CONFIG", str(config))
    password_file = cli_env / "password"
    password_file.write_text("irrelevant\n")
    monkeypatch.setenv("MICROTASK_PASSWORD_FILE", str(password_file))
    assert run(["deploy", "--network", "remote"]) == ExitCode.USER_ERROR
    line = _one_error_line(capsys.readouterr().err)
    assert "choose who signs with --account NAME" in line
    code = run(["deploy", "--network", "remote", "--account", "ghost"])
    assert code == ExitCode.USER_ERROR
    assert "no account named 'ghost'" in _one_error_line(capsys.readouterr().err)


def test_invalid_settings_are_one_line(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MICROTASK_ANVIL_BLOCK_TIME", "-1")
    assert run(["compile"]) == ExitCode.USER_ERROR
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("error: invalid settings: anvil_block_time")


def test_internal_errors_hide_the_traceback_unless_debugging(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("microtask.cli.compile_cmd.compile_project", explode)
    assert run(["compile"]) == ExitCode.INTERNAL
    line = _one_error_line(capsys.readouterr().err)
    assert (
        line == "error: internal error: RuntimeError: boom (rerun with --debug for the traceback)"
    )
    assert run(["--debug", "compile"]) == ExitCode.INTERNAL
    assert "Traceback" in capsys.readouterr().err
