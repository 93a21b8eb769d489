"""`microtask content`: add, read, pin and move content, in the configured store.

The store is the one `microtask up` would use (see ``content_store`` and ``ipfs_api`` in
the settings): a Kubo node when one is configured or running, else the local store. CIDs
are Kubo's, so ``microtask content add`` and ``ipfs add`` print the same CID.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from microtask.cli import console
from microtask.cli.context import settings_of
from microtask.content import ContentStore, open_content_store
from microtask.content.importer import DiscardBlocks, ImportOptions, ProgressCallback, import_stream
from microtask.errors import UserError

content_app = typer.Typer(
    name="content",
    help="Content on IPFS: add, cat, stat, pin, gc, and CAR export/import.",
    no_args_is_help=True,
)

PROGRESS_FROM_BYTES = 16 << 20
"""Files at least this large show a progress bar (on a terminal)."""

STDIO = "-"


@contextlib.contextmanager
def _store(ctx: typer.Context) -> Iterator[ContentStore]:
    with open_content_store(settings_of(ctx)) as store:
        yield store


@contextlib.contextmanager
def _input(path: str) -> Iterator[tuple[BinaryIO, int | None]]:
    """The file to read (``-`` is standard input) and its size when known."""
    if path == STDIO:
        yield sys.stdin.buffer, None
        return
    file = Path(path)
    try:
        stream = file.open("rb")
    except FileNotFoundError:
        raise UserError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a directory; add files one at a time") from None
    except PermissionError:
        raise UserError(f"cannot read {path}: permission denied") from None
    with stream:
        yield stream, file.stat().st_size


@contextlib.contextmanager
def _progress(size: int | None, label: str) -> Iterator[ProgressCallback | None]:
    if size is None or size < PROGRESS_FROM_BYTES or not console.err.is_terminal:
        yield None
        return
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console.err, transient=True) as progress:
        task = progress.add_task(label, total=size)
        yield lambda done: progress.update(task, completed=done)


@content_app.command("add")
def add_command(
    ctx: typer.Context,
    path: str = typer.Argument(..., help="The file to add; - reads standard input."),
    cid_version: int | None = typer.Option(
        None, "--cid-version", min=0, max=1, help="0 (as ipfs add) or 1 (raw leaves)."
    ),
    only_hash: bool = typer.Option(
        False, "--only-hash", "-n", help="Print the CID without storing anything."
    ),
    pin: bool = typer.Option(True, "--pin/--no-pin", help="Keep it through gc (default)."),
) -> None:
    """Add a file and print its CID (the same CID `ipfs add` prints).

    Example: microtask content add photo.jpg --cid-version 1
    """
    settings = settings_of(ctx)
    version = settings.content_cid_version if cid_version is None else cid_version
    with _input(path) as (stream, size), _progress(size, f"adding {path}") as progress:
        if only_hash:
            options = ImportOptions(cid_version=version)
            cid = import_stream(stream, DiscardBlocks(), options, progress).cid
        else:
            with _store(ctx) as store:
                cid = store.add_stream(stream, cid_version=version, pin=pin, progress=progress)
    console.out.print(str(cid))


@content_app.command("cat")
def cat_command(
    ctx: typer.Context,
    cid: str = typer.Argument(..., help="The file's CID."),
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of standard output."),
    ] = None,
) -> None:
    """Write a file's bytes to standard output, each block checked against its hash.

    Example: microtask content cat QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o
    """
    with _store(ctx) as store:
        chunks = store.iter_cat(cid)
        if output is None:
            sink = sys.stdout.buffer
            for chunk in chunks:
                sink.write(chunk)
            sink.flush()
            return
        _write_file_atomically(output, chunks)
    console.success(f"wrote {cid} to {output}")


def _write_file_atomically(path: Path, chunks: Iterator[bytes]) -> None:
    """Stream into a temporary file beside ``path``, renamed into place when complete."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        with temporary.open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@content_app.command("stat")
def stat_command(ctx: typer.Context, cid: str = typer.Argument(..., help="A CID.")) -> None:
    """Describe a CID: kind, codec, size, and the size of everything under it.

    Example: microtask content stat bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4
    """
    with _store(ctx) as store:
        stat = store.stat(cid)
    table = Table(show_header=False, box=None)
    table.add_row("cid", str(stat.cid))
    table.add_row("kind", stat.kind)
    table.add_row("codec", stat.codec)
    table.add_row("size", f"{stat.size:,} bytes")
    table.add_row("cumulative size", f"{stat.cumulative_size:,} bytes")
    table.add_row("links", str(stat.links))
    console.out.print(table)


@content_app.command("export")
def export_command(
    ctx: typer.Context,
    cid: str = typer.Argument(..., help="The root CID to export with everything under it."),
    car: str = typer.Option(..., "--car", help="The CAR file to write; - writes to stdout."),
) -> None:
    """Export a CID and all its blocks as a CAR v1 file (as `ipfs dag export` does).

    Example: microtask content export QmT78z... --car photo.car
    """
    with _store(ctx) as store:
        if car == STDIO:
            store.export_car(cid, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        path = Path(car)
        temporary = path.with_name(f".{path.name}.partial")
        try:
            with temporary.open("wb") as handle:
                written = store.export_car(cid, handle)
            temporary.replace(path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    console.success(f"exported {cid} to {path} ({written:,} bytes)")


@content_app.command("import")
def import_command(
    ctx: typer.Context,
    car: str = typer.Argument(..., help="A CAR v1 file (from `ipfs dag export`); - is stdin."),
    pin: bool = typer.Option(True, "--pin/--no-pin", help="Pin the CAR's roots (default)."),
) -> None:
    """Import every block of a CAR file, checking each, and pin its roots.

    Example: microtask content import photo.car
    """
    with _input(car) as (stream, _), _store(ctx) as store:
        result = store.import_car(stream, pin_roots=pin)
    roots = ", ".join(str(root) for root in result.roots) or "no roots"
    pinned = " (pinned)" if pin and result.roots else ""
    console.success(f"imported {result.blocks} blocks: {roots}{pinned}")


@content_app.command("pin")
def pin_command(ctx: typer.Context, cid: str = typer.Argument(..., help="A CID.")) -> None:
    """Keep a CID and everything under it through garbage collection."""
    with _store(ctx) as store:
        store.pin(cid)
    console.success(f"pinned {cid}")


@content_app.command("unpin")
def unpin_command(ctx: typer.Context, cid: str = typer.Argument(..., help="A CID.")) -> None:
    """Let garbage collection remove a CID (unless another pin needs its blocks)."""
    with _store(ctx) as store:
        store.unpin(cid)
    console.success(f"unpinned {cid}")


@content_app.command("pins")
def pins_command(ctx: typer.Context) -> None:
    """List the pinned CIDs, one per line."""
    with _store(ctx) as store:
        for cid in store.pins():
            console.out.print(str(cid))


@content_app.command("gc")
def gc_command(ctx: typer.Context) -> None:
    """Delete every block no pin reaches."""
    with _store(ctx) as store:
        result = store.gc()
    freed = f", {result.freed_bytes:,} bytes freed" if result.freed_bytes is not None else ""
    console.success(f"removed {result.removed_blocks} blocks from {store.kind} store{freed}")
