"""`ApiServer`: uvicorn serving the API on a socket bound before anything starts.

Binding the socket ourselves turns a port that is taken into one readable error (instead
of uvicorn's log line and ``sys.exit``), makes port 0 usable (the URL names the port the
system picked) and lets `microtask up` know the URL before the server thread runs.

uvicorn waits for open responses to finish before it shuts down, and a live feed never
finishes by itself; so shutdown first sets the app's ``stopping`` event, which every
feed checks between polls, and only then waits for connections to close.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
from typing import Any, Final

import uvicorn
from fastapi import FastAPI

from microtask.errors import EnvironmentProblem, UserError

log = logging.getLogger("microtask.api")

GRACEFUL_SHUTDOWN_SECONDS: Final = 5
START_TIMEOUT_SECONDS: Final = 60
KEEP_ALIVE_SECONDS: Final = 30
"""How long an idle client connection stays open. Longer than clients keep theirs (httpx
and browsers: 5 s or less), so a client drops an idle connection before the server
closes it under a request on its way (uvicorn's own default, 5 s, equals httpx's: under
load a reused connection then failed with no answer now and then)."""


class PortInUse(UserError, OSError):
    """The API's address is taken by another process."""


class ApiStartFailed(EnvironmentProblem):
    """The application's startup (opening and migrating the database) failed."""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``, or `PortInUse` saying what to do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say
    # they are TCP; with Nagle on, a keep-alive response written in two parts waits ~40 ms
    # for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortInUse(
                f"{host}:{port} is already in use; stop what listens there or pick another "
                "port with --port (or MICROTASK_API_PORT)"
            ) from None
        raise PortInUse(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class StoppingServer(uvicorn.Server):
    """uvicorn that ends the live feeds first when it shuts down (see the module's note)
    and, given ``ready``, prints that line once it accepts requests (how a parent process
    knows, `microtask.api.processes`)."""

    def __init__(
        self, config: uvicorn.Config, stopping: threading.Event, *, ready: str | None = None
    ) -> None:
        super().__init__(config)
        self._stopping = stopping
        self._ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self._ready is not None and self.started:
            print(self._ready, flush=True)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._stopping.set()  # live feeds end at their next poll
        await super().shutdown(sockets)


def _startup_error(app: FastAPI) -> BaseException | None:
    error: BaseException | None = getattr(app.state, "startup_error", None)
    return error


class ApiServer:
    """The API on ``host:port`` in a thread: `start`, then `stop` (the caller decides when,
    e.g. on Ctrl-C, so `microtask api` and `microtask up` stop the same way); `check`
    tells a `microtask.services.Supervisor` whether it still serves. ``name`` is how
    errors call it ("the API", "the verifier's server")."""

    def __init__(
        self,
        app: FastAPI,
        host: str,
        port: int,
        *,
        log_level: str = "warning",
        name: str = "the API",
    ) -> None:
        self.app = app
        self.name = name
        self.sock = bind(host, port)
        bound: Any = self.sock.getsockname()
        self.host = host
        self.port = int(bound[1])
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level=log_level,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
        self.server = StoppingServer(config, app.state.stopping)
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _failed(self) -> ApiStartFailed:
        error = _startup_error(self.app)
        reason = str(error).splitlines()[0] if error else "see the log above"
        return ApiStartFailed(f"the API could not start: {reason}")

    def start(self) -> None:
        """Serve in a thread; returns once the server accepts requests."""
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, name="api", daemon=True
        )
        self._thread.start()
        waited = threading.Event()
        while not self.server.started:
            if not self._thread.is_alive():
                self.sock.close()
                raise self._failed()
            waited.wait(0.02)
            if self.server.should_exit:
                break

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def check(self) -> None:
        """Raise if the server's thread ended without being asked to stop."""
        if self._thread is not None and not self._stopped and not self.alive():
            raise ApiStartFailed(f"{self.name} stopped unexpectedly; see the log above")

    def stop(self, timeout: float = GRACEFUL_SHUTDOWN_SECONDS + 5) -> None:
        self._stopped = True
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                self.server.force_exit = True
                self._thread.join(timeout)
        self.sock.close()
