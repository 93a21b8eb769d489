"""Exit codes that let a script tell whose fault a failure was."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    USER_ERROR = 1
    """The request was wrong: bad input, a refused transaction, an unknown name."""
    USAGE = 2
    """The command line itself was wrong (click's convention)."""
    ENVIRONMENT = 3
    """Something outside the request failed: a missing tool, an unreachable node."""
    INTERNAL = 70
    """A bug in microtask (EX_SOFTWARE); rerun with --debug and report it."""
    INTERRUPTED = 130
