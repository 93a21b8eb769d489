"""`Supervisor`: start services in order, watch them, stop them all in reverse order.

`microtask up`, `index`, `verifier` and `api` each run a few long-lived services (anvil,
the indexer's threads, the verifier's loop, an HTTP server) until Ctrl-C. They share one
way to do it, so each rule is written once:

- SIGINT and SIGTERM are handled from the moment the supervisor is entered (no signal is
  lost while services start) and only set an event: nothing is torn down inside a signal
  handler.
- While it waits, the supervisor asks each service whether it is still healthy; a service
  whose thread or process died ends the run with one readable line (its own error when it
  is one of ours, else `ServiceFailed` naming it) and so a non-zero exit.
- On the way out, whatever the reason, every service is stopped, last started first. A
  service that raises while stopping does not keep the others running: the errors are
  collected and reported together (`ServicesStopFailed`) once everything else is stopped.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any, Protocol, Self

from microtask.errors import EnvironmentProblem, MicrotaskError

log = logging.getLogger("microtask.services")

WATCH_INTERVAL = 0.5
"""Seconds between health checks while waiting (a signal ends the wait at once)."""

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class Service(Protocol):
    """What the supervisor runs: something that starts, can say it failed, and stops.

    `check` raises if the service has died (a thread that ended with an error, a process
    that exited); `stop` must be safe to call on a service whose `start` failed or never ran.
    """

    @property
    def name(self) -> str: ...

    def start(self) -> object: ...

    def check(self) -> None: ...

    def stop(self) -> None: ...


class ServiceFailed(EnvironmentProblem):
    """A service died while the others ran (its traceback, if any, is in the log above)."""


class ServicesStopFailed(EnvironmentProblem):
    """One or more services raised while stopping; every other service was still stopped."""

    def __init__(self, failures: list[tuple[str, BaseException]]) -> None:
        self.failures = failures
        reasons = "; ".join(f"{name}: {_one_line(error)}" for name, error in failures)
        super().__init__(f"could not stop cleanly ({reasons})")


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


@dataclass(frozen=True)
class _Resource:
    """A thing that only needs releasing when the run ends (a content store's client)."""

    name: str
    release: Callable[[], None]

    def start(self) -> None:
        """Already open when handed to the supervisor."""

    def check(self) -> None:
        """Nothing runs, so nothing can die."""

    def stop(self) -> None:
        self.release()


class Supervisor:
    """Runs services until a signal, a failure, or the caller's condition.

    Example::

        with Supervisor() as services:
            services.start(anvil)
            services.start(indexer)
            services.wait()  # until Ctrl-C or SIGTERM; raises if a service dies
        # here both are stopped, the indexer first

    ``handle_signals=False`` leaves SIGINT and SIGTERM alone (needed off the main
    thread); `request_stop` then ends `wait`.
    """

    def __init__(
        self, *, handle_signals: bool = True, watch_interval: float = WATCH_INTERVAL
    ) -> None:
        self.handle_signals = handle_signals
        self.watch_interval = watch_interval
        self.stopping = threading.Event()
        """Set by SIGINT, SIGTERM or `request_stop`."""
        self._services: list[Service] = []
        self._previous_handlers: dict[signal.Signals, _Handler] = {}

    # ----------------------------------------------------------------- entering, leaving

    def __enter__(self) -> Self:
        if self.handle_signals:
            for sig in STOP_SIGNALS:
                self._previous_handlers[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            failures = self.stop_all()
        finally:
            self._restore_signals()
        if not failures:
            return
        if exc is None:
            raise ServicesStopFailed(failures)
        # the error that ended the run is what the user needs first; the rest is logged
        for name, error in failures:
            log.error("could not stop %s: %s", name, _one_line(error))

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping.set()

    def _restore_signals(self) -> None:
        for sig, handler in self._previous_handlers.items():
            signal.signal(sig, handler)
        self._previous_handlers.clear()

    # ----------------------------------------------------------------- running

    def start(self, service: Service) -> None:
        """Start ``service`` after those already started; it is stopped on the way out
        even if its `start` raises (half-started services clean up in `stop`)."""
        self._services.append(service)
        service.start()

    def on_stop(self, name: str, release: Callable[[], None]) -> None:
        """Call ``release`` when the run ends, in the same reverse order as the services."""
        self._services.append(_Resource(name, release))

    def request_stop(self) -> None:
        """End `wait` as a signal would."""
        self.stopping.set()

    def check(self) -> None:
        """Raise if any service has died: its own error, or `ServiceFailed` naming it."""
        for service in self._services:
            try:
                service.check()
            except MicrotaskError:
                raise
            except Exception as error:
                raise ServiceFailed(
                    f"{service.name} stopped: {type(error).__name__}: {_one_line(error)}"
                ) from error

    def wait(self, until: Callable[[], bool] | None = None) -> bool:
        """Watch the services until a stop is requested (False) or ``until()`` holds (True).

        Raises as `check` does as soon as a service dies.
        """
        while True:
            self.check()
            if until is not None and until():
                return True
            if self.stopping.wait(self.watch_interval):
                return False

    def stop_all(self) -> list[tuple[str, BaseException]]:
        """Stop every service, last started first; the (name, error) of those that raised."""
        failures: list[tuple[str, BaseException]] = []
        while self._services:
            service = self._services.pop()
            try:
                service.stop()
            except BaseException as error:  # the others must still stop
                log.debug("stopping %s failed", service.name, exc_info=True)
                failures.append((service.name, error))
        return failures
