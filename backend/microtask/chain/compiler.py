"""Compile the project's contracts through py-solc-x, offline, with a cache.

The compiler is chosen as docs/architecture.md (Toolchain) says: ``MICROTASK_SOLC`` (any
native solc), then a native solc of the pinned version that py-solc-x installed earlier, then the
project's launcher around the npm package ``solc``. Output is cached by the hash of the
compiler input and the compiler's identity, so an unchanged project compiles in
milliseconds and a changed byte anywhere (including OpenZeppelin) recompiles.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx
from solcx.exceptions import SolcError
from solcx.install import get_executable

from microtask.chain.artifacts import Artifact, CompiledProject, load_cached, store_cached
from microtask.chain.sources import SourceTree, collect_sources, project_units
from microtask.config import Settings
from microtask.errors import ToolchainMissing, UserError

# The one place the compiler and its settings are pinned. package.json pins the same solc
# release for the launcher; a test keeps the two in step.
SOLC_VERSION = "0.8.37"
EVM_VERSION = "cancun"  # widely deployed; py-evm (Prague) and anvil run it too
OPTIMIZER_RUNS = 1000
# The IR pipeline keeps TaskEscrow under the 24 KiB code limit at 1000 runs (the legacy one
# does not) and removes stack-too-deep limits; it costs a few seconds on a cold compile.
VIA_IR = True
LAUNCHER = Path(__file__).with_name("solc_launcher.cjs")

OUTPUT_SELECTION = [
    "abi",
    "metadata",
    "evm.bytecode.object",
    "evm.deployedBytecode.object",
    "evm.deployedBytecode.immutableReferences",
    "evm.methodIdentifiers",
]


class CompileError(UserError):
    """Solidity rejected the sources; ``messages`` are solc's formatted diagnostics."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        count = len(messages)
        summary = f"solc reported {count} error{'s' if count != 1 else ''}"
        super().__init__(summary + ":\n" + "\n".join(m.rstrip() for m in messages))


@dataclass(frozen=True)
class Compiler:
    """An executable that speaks solc's command line, and what it is."""

    binary: Path
    identity: str
    """Stable name of this compiler build, part of the cache key (e.g. ``solcjs-0.8.37``)."""
    source: str
    """How it was chosen: ``MICROTASK_SOLC``, ``py-solc-x`` or ``solcjs launcher``."""


def compiler_settings() -> dict[str, Any]:
    """Standard-JSON settings every build uses."""
    return {
        "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
        "viaIR": VIA_IR,
        "evmVersion": EVM_VERSION,
        "outputSelection": {"*": {"*": OUTPUT_SELECTION}},
    }


def _file_identity(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def resolve_compiler(settings: Settings) -> Compiler:
    """Pick the solc executable, in the order docs/architecture.md (Toolchain) gives."""
    if settings.solc is not None:
        binary = settings.solc.expanduser()
        if not binary.is_file():
            raise ToolchainMissing(f"MICROTASK_SOLC points at {binary}, which is not a file")
        return Compiler(binary, f"native:{_file_identity(binary)}", "MICROTASK_SOLC")

    installed = solcx.get_installed_solc_versions()
    if any(str(version) == SOLC_VERSION for version in installed):
        binary = Path(get_executable(SOLC_VERSION))
        return Compiler(binary, f"native:{_file_identity(binary)}", "py-solc-x")

    solc_package = settings.node_root / "node_modules" / "solc" / "package.json"
    if not solc_package.is_file():
        raise ToolchainMissing(
            f"no Solidity compiler: the npm package solc is not in {settings.node_root}; "
            "run `npm ci` there (or set MICROTASK_SOLC to a native solc)"
        )
    if shutil.which("node") is None:
        raise ToolchainMissing("no Solidity compiler: node is not on PATH (Node 20+ is needed)")
    package_version = json.loads(solc_package.read_text())["version"]
    if package_version != SOLC_VERSION:
        raise ToolchainMissing(
            f"node_modules has solc {package_version} but microtask pins {SOLC_VERSION}; "
            "run `npm ci` to install the pinned toolchain"
        )
    return Compiler(LAUNCHER, f"solcjs-{package_version}", "solcjs launcher")


def build_input(settings: Settings) -> dict[str, Any]:
    """The standard-JSON input for every contract under ``contracts_dir``."""
    tree = SourceTree(settings.project_root, settings.node_root / "node_modules")
    roots = project_units(settings.project_root, settings.contracts_dir)
    if not roots:
        raise UserError(f"no Solidity files under {settings.contracts_dir}")
    sources = collect_sources(tree, roots)
    return {
        "language": "Solidity",
        "sources": {unit: {"content": text} for unit, text in sources.items()},
        "settings": compiler_settings(),
    }


def input_hash(standard_input: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON form of a compiler input."""
    canonical = json.dumps(standard_input, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _run_solc(compiler: Compiler, standard_input: dict[str, Any], settings: Settings) -> Any:
    env_root = str(settings.node_root)
    previous = os.environ.get("MICROTASK_NODE_ROOT")
    os.environ["MICROTASK_NODE_ROOT"] = env_root  # tells the launcher where node_modules is
    try:
        return solcx.compile_standard(standard_input, solc_binary=compiler.binary)
    except SolcError as error:
        diagnostics = getattr(error, "error_dict", None) or []
        messages = [
            d.get("formattedMessage") or d.get("message", "")
            for d in diagnostics
            if d.get("severity") == "error"
        ]
        if messages:
            raise CompileError(messages) from None
        raise ToolchainMissing(f"the compiler at {compiler.binary} failed: {error}") from None
    finally:
        if previous is None:
            os.environ.pop("MICROTASK_NODE_ROOT", None)
        else:
            os.environ["MICROTASK_NODE_ROOT"] = previous


def _artifacts_from_output(
    output: Mapping[str, Any], project_sources: set[str], digest: str
) -> dict[str, Artifact]:
    artifacts: dict[str, Artifact] = {}
    for unit, contracts in output.get("contracts", {}).items():
        if unit not in project_sources:
            continue
        for name, data in contracts.items():
            metadata = data.get("metadata") or "{}"
            version = json.loads(metadata).get("compiler", {}).get("version", "")
            evm = data.get("evm", {})
            deployed = evm.get("deployedBytecode", {})
            artifacts[f"{unit}:{name}"] = Artifact(
                name=name,
                source=unit,
                abi=data.get("abi", []),
                bytecode="0x" + evm.get("bytecode", {}).get("object", ""),
                deployed_bytecode="0x" + deployed.get("object", ""),
                immutable_references=deployed.get("immutableReferences", {}),
                method_identifiers=evm.get("methodIdentifiers", {}),
                metadata=metadata,
                compiler_version=version,
                input_hash=digest,
            )
    return artifacts


DELEGATES_TO = "custom:delegates-to"
"""NatSpec tag of a contract whose fallback delegates to another's code (TaskEscrow)."""


def _abi_key(entry: Mapping[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    inputs = tuple(str(i.get("type")) for i in entry.get("inputs", []))
    return (str(entry.get("type")), str(entry.get("name", "")), inputs)


def with_delegated_abis(artifacts: dict[str, Artifact]) -> dict[str, Artifact]:
    """Artifacts whose contract delegates to another (``@custom:delegates-to Name``) with
    that contract's functions, events and errors added to their ABI: one address answers
    both, so a client of it needs both (TaskEscrow and TaskEscrowExtension)."""
    by_name = {a.name: a for a in artifacts.values()}
    merged = dict(artifacts)
    for key, artifact in artifacts.items():
        devdoc = json.loads(artifact.metadata or "{}").get("output", {}).get("devdoc", {})
        target = by_name.get(str(devdoc.get(DELEGATES_TO, "")).strip())
        if target is None:
            continue
        known = {_abi_key(entry) for entry in artifact.abi}
        extra = [
            entry
            for entry in target.abi
            if entry.get("type") not in ("constructor", "fallback", "receive")
            and _abi_key(entry) not in known
        ]
        merged[key] = artifact.model_copy(update={"abi": [*artifact.abi, *extra]})
    return merged


def _about(diagnostic: Mapping[str, Any], units: set[str]) -> bool:
    """Whether a diagnostic concerns one of ``units`` (or no file in particular)."""
    location = diagnostic.get("sourceLocation")
    return location is None or location.get("file") in units


def compile_project(settings: Settings, *, use_cache: bool = True) -> CompiledProject:
    """Compile every contract under ``settings.contracts_dir``, from cache when unchanged."""
    started = time.perf_counter()
    standard_input = build_input(settings)
    digest = input_hash(standard_input)
    compiler = resolve_compiler(settings)
    cache_key = hashlib.sha256(f"{digest}:{compiler.identity}".encode()).hexdigest()
    cache_file = settings.cache_path / "solc" / f"{cache_key}.json"

    if use_cache:
        cached = load_cached(cache_file)
        if cached is not None:
            return cached.with_timing(time.perf_counter() - started, from_cache=True)

    output = _run_solc(compiler, standard_input, settings)
    project_sources = set(project_units(settings.project_root, settings.contracts_dir))
    # Warnings about library code (OpenZeppelin's use of transient storage, say) are noise
    # to the project; only those about its own sources are kept.
    warnings = [
        d.get("formattedMessage") or d.get("message", "")
        for d in output.get("errors", [])
        if d.get("severity") != "error" and _about(d, project_sources)
    ]
    project = CompiledProject(
        artifacts=with_delegated_abis(_artifacts_from_output(output, project_sources, digest)),
        input_hash=digest,
        compiler=f"{compiler.source} ({compiler.binary})",
        warnings=warnings,
    )
    store_cached(cache_file, project)
    return project.with_timing(time.perf_counter() - started, from_cache=False)
