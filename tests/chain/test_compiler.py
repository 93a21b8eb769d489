"""The compiler pipeline: resolution, real compiles through solcjs, cache, diagnostics."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from microtask.chain.artifacts import ArtifactNotFound, CompiledProject
from microtask.chain.compiler import (
    LAUNCHER,
    SOLC_VERSION,
    CompileError,
    build_input,
    compile_project,
    input_hash,
    resolve_compiler,
)
from microtask.chain.sources import SourceNotFound
from microtask.config import Settings
from microtask.errors import ToolchainMissing
from tests.conftest import REPO_ROOT


def test_pinned_version_matches_package_json() -> None:
    package = json.loads((REPO_ROOT / "package.json").read_text())
    assert package["devDependencies"]["solc"] == SOLC_VERSION


def test_launcher_speaks_version_like_native_solc() -> None:
    output = subprocess.run(
        [str(LAUNCHER), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert f"Version: {SOLC_VERSION}+commit." in output


def test_launcher_prints_only_json_and_resolves_node_modules_imports() -> None:
    source = (
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\n"
        'import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";\n'
        "contract Owned is Ownable { constructor() Ownable(msg.sender) {} }\n"
    )
    request = {
        "language": "Solidity",
        "sources": {"Owned.sol": {"content": source}},
        "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
    }
    result = subprocess.run(
        [str(LAUNCHER), "--standard-json"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    )
    output = json.loads(result.stdout)  # fails if anything but JSON is printed
    assert "Ownable" in output["contracts"]["@openzeppelin/contracts/access/Ownable.sol"]
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"]


def test_compile_produces_artifacts_of_the_pinned_compiler(compiled: CompiledProject) -> None:
    escrow = compiled.get("TaskEscrow")
    assert escrow.source == "contracts/TaskEscrow.sol"
    assert escrow.deployable
    assert escrow.compiler_version.startswith(f"{SOLC_VERSION}+commit.")
    assert escrow.input_hash == compiled.input_hash
    assert any(entry.get("name") == "setTreasury" for entry in escrow.abi)
    assert json.loads(escrow.metadata)["language"] == "Solidity"
    # OpenZeppelin's sources are compiled in but are not the project's artifacts
    assert all(a.source.startswith("contracts/") for a in compiled.artifacts.values())


def test_second_compile_is_a_cache_hit_with_identical_artifacts(small_project: Settings) -> None:
    first = compile_project(small_project)
    second = compile_project(small_project)
    assert not first.from_cache
    assert second.from_cache
    assert second.artifacts == first.artifacts
    assert list((small_project.cache_path / "solc").glob("*.json"))


def test_no_cache_compiles_again(small_project: Settings) -> None:
    compile_project(small_project)
    assert not compile_project(small_project, use_cache=False).from_cache


def test_changed_source_misses_the_cache(small_project: Settings) -> None:
    before = compile_project(small_project)
    owned = small_project.contracts_dir / "Owned.sol"
    owned.write_text(owned.read_text() + "\n// a comment changes the metadata hash\n")
    after = compile_project(small_project)
    assert not after.from_cache
    assert after.input_hash != before.input_hash


def test_corrupt_cache_entry_is_a_miss_not_a_crash(small_project: Settings) -> None:
    compile_project(small_project)
    for entry in (small_project.cache_path / "solc").glob("*.json"):
        entry.write_text("{not json")
    assert not compile_project(small_project).from_cache


def test_input_carries_every_imported_source(settings: Settings) -> None:
    standard_input = build_input(settings)
    units = set(standard_input["sources"])
    assert "contracts/TaskEscrow.sol" in units
    assert "@openzeppelin/contracts/access/Ownable2Step.sol" in units
    # reached only through a relative import inside OpenZeppelin
    assert "@openzeppelin/contracts/utils/Context.sol" in units
    assert input_hash(standard_input) == input_hash(json.loads(json.dumps(standard_input)))


def test_syntax_error_reports_file_line_and_column(small_project: Settings) -> None:
    broken = small_project.contracts_dir / "Broken.sol"
    broken.write_text(
        "// SPDX-License-Identifier: MIT\n"
        "pragma solidity ^0.8.24;\n"
        "contract Broken {\n"
        "    uint256 x = 1\n"
        "}\n"
    )
    with pytest.raises(CompileError) as caught:
        compile_project(small_project)
    assert len(caught.value.messages) == 1
    message = caught.value.messages[0]
    assert "ParserError" in message
    assert "contracts/Broken.sol:5:1" in message
    assert "contracts/Broken.sol:5:1" in str(caught.value)


def test_type_error_is_reported_with_location(small_project: Settings) -> None:
    (small_project.contracts_dir / "Typo.sol").write_text(
        "// SPDX-License-Identifier: MIT\n"
        "pragma solidity ^0.8.24;\n"
        "contract Typo {\n"
        "    function f() external pure returns (uint256) { return undefinedThing; }\n"
        "}\n"
    )
    with pytest.raises(CompileError, match=r"Undeclared identifier") as caught:
        compile_project(small_project)
    assert "contracts/Typo.sol:4:" in caught.value.messages[0]


def test_missing_import_names_the_importer(small_project: Settings) -> None:
    (small_project.contracts_dir / "Lost.sol").write_text(
        '// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\nimport "./Nowhere.sol";\n'
    )
    with pytest.raises(
        SourceNotFound, match=r"contracts/Nowhere.sol \(imported by contracts/Lost.sol\)"
    ):
        compile_project(small_project)


def test_unknown_artifact_lists_deployable_ones(compiled: CompiledProject) -> None:
    with pytest.raises(ArtifactNotFound, match=r"deployable: .*TaskEscrow"):
        compiled.get("NoSuchContract")


def test_launcher_is_used_when_nothing_else_is_configured(settings: Settings) -> None:
    compiler = resolve_compiler(settings)
    assert compiler.binary == LAUNCHER
    assert compiler.identity == f"solcjs-{SOLC_VERSION}"


def test_microtask_solc_takes_precedence(small_project: Settings) -> None:
    # the launcher is itself a solc-compatible executable, so it can stand in for a native one
    chosen = small_project.model_copy(update={"solc": LAUNCHER})
    compiler = resolve_compiler(chosen)
    assert compiler.source == "MICROTASK_SOLC"
    assert compiler.binary == LAUNCHER
    project = compile_project(chosen)
    assert project.get("Owned").deployable


def test_microtask_solc_pointing_nowhere_is_refused(tmp_path: Path, settings: Settings) -> None:
    chosen = settings.model_copy(update={"solc": tmp_path / "no-solc"})
    with pytest.raises(ToolchainMissing, match="MICROTASK_SOLC points at"):
        resolve_compiler(chosen)


def test_missing_node_modules_says_how_to_install(tmp_path: Path, settings: Settings) -> None:
    chosen = settings.model_copy(update={"node_root": tmp_path})
    with pytest.raises(ToolchainMissing, match="npm ci"):
        resolve_compiler(chosen)
