"""The MTurk operations the endpoint answers, one module per family; importing this package
registers each with `microtask.mturk.gateway.operation`."""

from microtask.mturk.operations import (
    account,
    assignments,
    hits,
    notifications,
    qualifications,
    workers,
)

__all__ = ["account", "assignments", "hits", "notifications", "qualifications", "workers"]
