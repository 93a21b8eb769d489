"""`microtask compile`: build every contract, from cache when nothing changed."""

from __future__ import annotations

import typer
from rich.table import Table

from microtask.chain.compiler import compile_project
from microtask.cli import console
from microtask.cli.context import settings_of


def compile_command(
    ctx: typer.Context,
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore cached artifacts."),
) -> None:
    """Compile the contracts under contracts/.

    Example: microtask compile --no-cache
    """
    settings = settings_of(ctx)
    project = compile_project(settings, use_cache=not no_cache)
    for warning in project.warnings:
        console.warn(warning.rstrip())
    if console.json_mode(ctx):
        console.emit(
            ctx,
            {
                "contracts": sorted(a.qualified_name for a in project.artifacts.values()),
                "input_hash": project.input_hash,
                "from_cache": project.from_cache,
                "seconds": project.seconds,
            },
            lambda: None,
        )
        return
    table = Table("contract", "source", "runtime bytes", box=None)
    for artifact in sorted(project.artifacts.values(), key=lambda a: a.qualified_name):
        if artifact.deployable:
            size = len(artifact.deployed_bytecode.removeprefix("0x")) // 2
            table.add_row(artifact.name, artifact.source, f"{size:,}")
    console.out.print(table)
    origin = "cache" if project.from_cache else project.compiler
    console.success(
        f"compiled {len(project.artifacts)} contracts in {project.seconds * 1000:.0f} ms "
        f"from {origin} (input {project.input_hash[:12]})"
    )
