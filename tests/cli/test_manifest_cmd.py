"""`microtask manifest`: validate documents and print their schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from microtask.cli.app import run
from microtask.cli.exit_codes import ExitCode
from microtask.manifests import DOCUMENTS
from tests.manifests.conftest import manifest_data


def test_a_valid_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "task.json"
    path.write_text(json.dumps(manifest_data()))
    assert run(["manifest", "validate", str(path)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert f"{path} is a valid task-manifest (classification, 2 items x 3 = 6 slots)" in out


def test_an_invalid_manifest_names_the_field_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "task.json"
    path.write_text(json.dumps(manifest_data(redundancy=0, title="")))
    assert run(["manifest", "validate", str(path)]) == ExitCode.USER_ERROR
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "Traceback" not in err
    assert lines[0].startswith("error: invalid task-manifest: title: ")
    assert "redundancy: Input should be greater than or equal to 1" in lines[0]


def test_kind_can_be_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "task.json"
    path.write_text(json.dumps(manifest_data()))
    assert run(["manifest", "validate", str(path), "--kind", "review"]) == ExitCode.USER_ERROR
    assert "invalid review: type:" in capsys.readouterr().err
    assert run(["manifest", "validate", str(path), "--kind", "poem"]) == ExitCode.USAGE


def test_schema_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["manifest", "schema", "submission-envelope"]) == ExitCode.OK
    schema = json.loads(capsys.readouterr().out)
    assert schema["$id"] == "urn:microtask:schema:submission-envelope:1"


def test_schema_out_writes_every_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["manifest", "schema", "--out", str(tmp_path)]) == ExitCode.OK
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == sorted(f"{name}.schema.json" for name in DOCUMENTS)
