"""Running long-lived parts together: managed child processes and the supervisor.

`ManagedProcess` is what anvil and the Kubo daemon have in common (start, await the line
that says ready, watch, stop, kill, keep a log); `Supervisor` is how `microtask up`,
`microtask index`, `microtask verifier` and `microtask api` run their services: started in
order, watched for failure, stopped in reverse order on Ctrl-C, SIGTERM or a failure.

This package sits below ``chain`` and ``content`` (they build on `ManagedProcess`) and
imports nothing from the rest of microtask but `microtask.errors`.
"""

from microtask.services.process import ManagedProcess
from microtask.services.supervisor import Service, ServiceFailed, ServicesStopFailed, Supervisor

__all__ = ["ManagedProcess", "Service", "ServiceFailed", "ServicesStopFailed", "Supervisor"]
