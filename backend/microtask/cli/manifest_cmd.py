"""`microtask manifest`: check a document against its schema, and print the schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from microtask.cli import console
from microtask.errors import UserError
from microtask.manifests import DOCUMENTS, TaskManifest, json_schema, parse_document, write_schemas

manifest_app = typer.Typer(
    name="manifest",
    help="Task manifests, submission envelopes and reviews: validate, and their JSON Schemas.",
    no_args_is_help=True,
)

_KINDS = ", ".join(DOCUMENTS)


def _known(name: str | None) -> str | None:
    if name is not None and name not in DOCUMENTS:
        raise typer.BadParameter(f"choose one of {_KINDS}")
    return name


@manifest_app.command("validate")
def validate_command(
    file: Annotated[Path, typer.Argument(help="The JSON document to check.")],
    kind: str | None = typer.Option(
        None, "--kind", callback=_known, help=f"Expect this kind ({_KINDS}); default: its type."
    ),
) -> None:
    """Check a task manifest (or envelope, answers, review) against its schema and limits.

    Example: microtask manifest validate task.json
    """
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise UserError(f"no such file: {file}") from None
    except IsADirectoryError:
        raise UserError(f"{file} is a directory, not a JSON document") from None
    document = parse_document(data, kind)
    name = next(name for name, model in DOCUMENTS.items() if isinstance(document, model))
    detail = ""
    if isinstance(document, TaskManifest):
        detail = (
            f" ({document.kind}, {document.item_count} items x {document.redundancy} "
            f"= {document.slot_count} slots)"
        )
    console.success(f"{file} is a valid {name}{detail}")


@manifest_app.command("schema")
def schema_command(
    name: str = typer.Argument(
        "task-manifest", callback=_known, help=f"Which document ({_KINDS})."
    ),
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write every schema as DIR/<name>.schema.json instead."),
    ] = None,
) -> None:
    """Print a document's JSON Schema (draft 2020-12), or write them all with --out.

    Example: microtask manifest schema submission-envelope
    """
    if out is None:
        console.out.print(json.dumps(json_schema(name), indent=2, sort_keys=True), markup=False)
        return
    for path in write_schemas(out):
        console.success(f"wrote {path}")
