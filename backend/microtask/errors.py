"""The exception tree every layer raises from.

Callers catch exactly what they can handle: a user's mistake (`UserError`) is reported as
one line and exit code 1, a broken environment (`EnvironmentProblem`) as one line and exit
code 3. Subclasses also inherit the built-in they refine, as web3.py does, so generic
``except ValueError`` code keeps working.
"""

from __future__ import annotations


class MicrotaskError(Exception):
    """Root of every error microtask raises on purpose."""


class UserError(MicrotaskError):
    """The request cannot be done as asked; the user can fix it by asking differently."""


class EnvironmentProblem(MicrotaskError):
    """Something outside the request is missing or down: a tool, a node, a file system."""


class ConfigurationError(UserError, ValueError):
    """A setting or a network profile is missing or malformed."""


class ToolchainMissing(EnvironmentProblem, FileNotFoundError):
    """A required executable (node, the solc package, anvil) is not installed."""
