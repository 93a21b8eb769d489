"""The CLI starts fast because each command imports what it needs when it runs: what the
root's ``--help`` loads, what listing tasks loads, and the shape that keeps commands thin.

Speed itself is measured in bench/cli.py; these check the causes, not the seconds.
"""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from microtask.cli.app import COMMANDS
from tests.conftest import REPO_ROOT

HEAVY = ("web3", "eth_account", "pandas", "crowdkit", "crowd_kit", "sqlalchemy", "fastapi")
CLI = REPO_ROOT / "backend" / "microtask" / "cli"


def loaded_after(code: str) -> list[str]:
    """The heavy modules a fresh interpreter has loaded after running ``code``."""
    report = f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    probe = f"{code}\nimport json, sys\n{report}"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_help_loads_no_chain_database_or_statistics_library() -> None:
    code = "from microtask.cli.app import run\nassert run(['--help']) == 0"
    assert loaded_after(code) == []


def test_listing_tasks_loads_no_web3() -> None:
    # what `microtask work tasks --account NAME` imports before it reaches the network
    code = (
        "import typer.main\n"
        "from microtask.cli.app import COMMANDS\n"
        "[work] = [spec for spec in COMMANDS if spec.name == 'work']\n"
        "work.load()\n"
        "from microtask.client import Platform\n"
        "import microtask.chain.wallets, microtask.cli.listing, microtask.client.token_lookup"
    )
    assert loaded_after(code) == []


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda spec: spec.name)
def test_the_root_lists_each_command_as_its_own_help_begins(spec: object) -> None:
    from microtask.cli.lazy import LazySpec

    assert isinstance(spec, LazySpec)
    command = spec.load()
    assert command.help is not None
    assert spec.summary == inspect.cleandoc(command.help).split("\n\n")[0]


def _command_functions(path: Path) -> list[ast.FunctionDef]:
    found = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        decorated = any("command" in ast.unparse(d) for d in node.decorator_list)
        if decorated or node.name.endswith("_command"):
            found.append(node)
    return found


def test_cli_modules_are_short_and_commands_shorter() -> None:
    modules = sorted(CLI.glob("*.py"))
    assert len(modules) > 10
    too_long = {p.name: n for p in modules if (n := len(p.read_text().splitlines())) > 300}
    assert too_long == {}
    commands = [
        (path.name, node.name, node.end_lineno - node.lineno + 1)  # type: ignore[operator]
        for path in modules
        for node in _command_functions(path)
    ]
    assert len(commands) > 50
    assert [c for c in commands if c[2] > 40] == []
