"""The cyclic garbage collector paused while quality control runs.

An assessment allocates hundreds of thousands of short-lived objects (votes, tuples, each
item's aggregate), which reference counting frees; but every 700 allocations the cyclic
collector runs, and in the verifier's process (every module of web3, SQLAlchemy, numpy
and pydantic loaded, the openings kept) each full collection walks the whole heap. A GIL
profile of the verifier's loop under load found a quarter of its time in the collector,
nearly all of it triggered inside the aggregation. Paused for the call, the collector
runs again as soon as it is resumed, over whatever survived: nothing is leaked, only not
walked hundreds of times.

The collector is the process's: pauses from several threads nest (it resumes when the
last one ends, and only if it was running before the first began).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the body with the cyclic garbage collector disabled (see the module's note)."""
    global _pauses, _resume
    with _lock:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()
