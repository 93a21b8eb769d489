"""The `microtask` command: its groups, and how failures are reported.

Every failure is one readable line on stderr and an exit code that says whose fault it
was (see `ExitCode`); a traceback appears only with ``--debug`` or ``MICROTASK_DEBUG=1``.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Annotated

import typer

from microtask import __version__
from microtask.chain.compiler import CompileError
from microtask.cli import console
from microtask.cli import task_verifier_cmd as _task_verifier  # noqa: F401  (registers commands)
from microtask.cli import work_gasless_cmd as _work_gasless  # noqa: F401  (registers commands)
from microtask.cli.account_cmd import account_app
from microtask.cli.api_cmd import api_command
from microtask.cli.compile_cmd import compile_command
from microtask.cli.content_cmd import content_app
from microtask.cli.context import load_settings
from microtask.cli.deploy_cmd import deploy_command
from microtask.cli.exit_codes import ExitCode
from microtask.cli.index_cmd import index_command
from microtask.cli.manifest_cmd import manifest_app
from microtask.cli.operator_cmd import operator_app
from microtask.cli.task_cmd import task_app
from microtask.cli.up_cmd import up_command
from microtask.cli.verifier_cmd import verifier_command
from microtask.cli.work_cmd import work_app
from microtask.errors import EnvironmentProblem, MicrotaskError, UserError

app = typer.Typer(
    name="microtask",
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
    ctx.obj = load_settings()


app.command("up")(up_command)
app.command("compile")(compile_command)
app.command("deploy")(deploy_command)
app.command("index")(index_command)
app.command("api")(api_command)
app.command("verifier")(verifier_command)
app.add_typer(account_app, name="account")
app.add_typer(task_app, name="task")
app.add_typer(work_app, name="work")
app.add_typer(operator_app, name="operator")
app.add_typer(content_app, name="content")
app.add_typer(manifest_app, name="manifest")


def _debugging(argv: Sequence[str]) -> bool:
    return "--debug" in argv or os.environ.get("MICROTASK_DEBUG", "") not in ("", "0")


def _report(error: BaseException, debug: bool) -> ExitCode:
    if debug:
        traceback.print_exception(error)
    if isinstance(error, CompileError):
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
