"""The `microtask` command: its groups, and how failures are reported.

Every failure is one readable line on stderr and an exit code that says whose fault it
was (see `ExitCode`); a traceback appears only with ``--debug`` or ``MICROTASK_DEBUG=1``.

Commands are imported when they run (`cli.lazy`): this module imports typer and nothing
of the package's heavier layers, so ``microtask --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Annotated

import typer

from microtask import __version__
from microtask.cli import console
from microtask.cli.exit_codes import ExitCode
from microtask.cli.lazy import LazyGroup, LazySpec

COMMANDS = (
    LazySpec(
        "up",
        "microtask.cli.up_cmd:up_command",
        "Start the platform locally: anvil, the contracts deployed, and where it all listens.",
    ),
    LazySpec(
        "compile",
        "microtask.cli.compile_cmd:compile_command",
        "Compile the contracts under contracts/.",
    ),
    LazySpec(
        "deploy",
        "microtask.cli.deploy_cmd:deploy_command",
        "Compile and deploy the contracts, recording them under deployments/NETWORK/.",
    ),
    LazySpec(
        "index",
        "microtask.cli.index_cmd:index_command",
        "Index the network's TaskEscrow events into the database until Ctrl-C.",
    ),
    LazySpec(
        "api",
        "microtask.cli.api_cmd:api_command",
        "Serve the API (tasks, workers, stats, health, live events, uploads) until Ctrl-C.",
    ),
    LazySpec(
        "verifier",
        "microtask.cli.verifier_cmd:verifier_command",
        "Run the verifier: gasless claims and receipts, automatic quality control, settlement.",
    ),
    LazySpec(
        "account",
        "microtask.cli.account_cmd:account_app",
        "Create, import, list and inspect encrypted accounts.",
        also=("microtask.cli.account_key_cmd",),
    ),
    LazySpec(
        "task",
        "microtask.cli.task_cmd:task_app",
        "Requester commands: create, review and settle tasks.",
        also=(  # in this order: the order --help lists them
            "microtask.cli.task_settle_cmd",
            "microtask.cli.task_read_cmd",
            "microtask.cli.task_verifier_cmd",
        ),
    ),
    LazySpec(
        "work",
        "microtask.cli.work_cmd:work_app",
        "Worker commands: find, claim, do and get paid for work.",
        also=("microtask.cli.work_pay_cmd", "microtask.cli.work_gasless_cmd"),
    ),
    LazySpec(
        "operator",
        "microtask.cli.operator_cmd:operator_app",
        "Operator commands: deploy, fees, treasury, pause, arbitration.",
    ),
    LazySpec(
        "mturk",
        "microtask.cli.mturk_cmd:mturk_app",
        "MTurk compatibility: serve a requester's endpoint for boto3; its access keys.",
    ),
    LazySpec(
        "content",
        "microtask.cli.content_cmd:content_app",
        "Content on IPFS: add, cat, stat, pin, gc, and CAR export/import.",
    ),
    LazySpec(
        "manifest",
        "microtask.cli.manifest_cmd:manifest_app",
        "Task manifests, submission envelopes and reviews: validate, and their JSON Schemas.",
    ),
)


class RootGroup(LazyGroup):
    specs = COMMANDS


app = typer.Typer(
    name="microtask",
    cls=RootGroup,
    help="microtask: escrowed micro-tasks on an EVM chain, with content on IPFS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        console.out.print(f"microtask {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print results as JSON, for scripts.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Requesters fund tasks, workers do them and get paid, the chain keeps everyone honest."""
    from microtask.cli.context import load_settings

    ctx.obj = load_settings()


def _debugging(argv: Sequence[str]) -> bool:
    return "--debug" in argv or os.environ.get("MICROTASK_DEBUG", "") not in ("", "0")


def _report(error: BaseException, debug: bool) -> ExitCode:
    from microtask.errors import EnvironmentProblem, MicrotaskError, UserError

    if debug:
        traceback.print_exception(error)
    compile_error = sys.modules.get("microtask.chain.compiler")  # loaded if it could raise
    if compile_error is not None and isinstance(error, compile_error.CompileError):
        console.error(str(error).split("\n", 1)[0])
        for message in error.messages:
            console.err.print(message.rstrip(), highlight=False, markup=False)
        return ExitCode.USER_ERROR
    if isinstance(error, UserError):
        console.error(str(error))
        return ExitCode.USER_ERROR
    if isinstance(error, EnvironmentProblem | MicrotaskError):
        console.error(str(error))
        return ExitCode.ENVIRONMENT
    hint = "" if debug else " (rerun with --debug for the traceback)"
    console.error(f"internal error: {type(error).__name__}: {error}{hint}")
    return ExitCode.INTERNAL


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return the exit code instead of exiting.

    Typer reports usage errors itself (exit code 2); our own errors arrive here.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        app(args=args, prog_name="microtask", standalone_mode=True)
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else ExitCode.USER_ERROR
    except KeyboardInterrupt:
        console.error("interrupted")
        return ExitCode.INTERRUPTED
    except Exception as error:
        return _report(error, _debugging(args))
    return ExitCode.OK


def main() -> None:
    sys.exit(run())
