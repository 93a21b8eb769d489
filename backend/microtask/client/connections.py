"""Kept-alive HTTP/1.1 connections to one plain-HTTP origin, for the API client's calls.

A gasless worker makes three small JSON requests a slot (claim, upload, hand-in). Through
httpx each cost about 0.8 ms of CPU in the worker's process (URL and header models, cookie
and auth and redirect layers, h11's parser), as much as sealing the answer; the standard
library's `http.client` on a kept-alive connection costs about a tenth of that. Every
request of the API client is a JSON document to or from one origin, so nothing of httpx's
generality is needed there. `direct_origin` says which origins go this way: plain ``http``
that no proxy setting covers (``microtask up`` on this machine or the LAN); ``https`` and
proxied origins stay on httpx, with its certificate store and proxy handling.

A connection the server closed while it sat in the pool (keep-alive ran out) is noticed
before reuse (its socket reads as ready: end of file) and reopened, as httpcore does; one
that breaks mid-request raises, and the API client decides whether to resend.

Example::

    pool = Connections("127.0.0.1", 8000)
    answer = pool.request("GET", "/tasks?status=open", None, {}, timeout=15)
    answer.status, answer.body
"""

from __future__ import annotations

import http.client
import select
import socket
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    """A whole HTTP answer: status, reason phrase and body (read to the end)."""

    status: int
    reason: str
    body: bytes


def direct_origin(url: str) -> tuple[str, int, str] | None:
    """(host, port, path prefix) of a plain-``http`` base URL no proxy setting applies to;
    None for anything else (``https``, or an origin ``HTTP_PROXY``/``ALL_PROXY`` cover)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return None
    proxies = urllib.request.getproxies()
    if ("http" in proxies or "all" in proxies) and not urllib.request.proxy_bypass(parts.hostname):
        return None
    return parts.hostname, parts.port or 80, parts.path.rstrip("/")


class Connections:
    """Idle kept-alive connections to one origin, handed to one request at a time (a
    thread takes one, or opens one, and gives it back when the answer is read). Every
    request's target is under ``prefix`` (a base URL's path, as ``http://host/api``)."""

    def __init__(self, host: str, port: int, prefix: str = "") -> None:
        self.host = host
        self.port = port
        self.prefix = prefix
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    def request(
        self,
        method: str,
        target: str,
        body: bytes | None,
        headers: dict[str, str],
        *,
        timeout: float,
    ) -> Answer:
        """Send one request (``target``: path and query, below the prefix) and read its
        whole answer.
        Raises `OSError` (`TimeoutError` when the server is silent past ``timeout``) or
        `http.client.HTTPException` when the connection fails; the connection is then
        dropped."""
        connection = self._take()
        try:
            connection.timeout = timeout
            if connection.sock is not None:
                connection.sock.settimeout(timeout)
            connection.request(method, self.prefix + target, body, headers)
            response = connection.getresponse()
            answer = Answer(response.status, response.reason, response.read())
        except BaseException:
            connection.close()
            raise
        self._give_back(connection)
        return answer

    def close(self) -> None:
        """Close the idle connections; ones in use close when given back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _take(self) -> http.client.HTTPConnection:
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            return http.client.HTTPConnection(self.host, self.port)
        if connection.sock is not None and _closed_by_peer(connection.sock):
            connection.close()  # reopened by the next request
        return connection

    def _give_back(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(connection)
                return
        connection.close()


def _closed_by_peer(sock: socket.socket) -> bool:
    """An idle connection's socket is readable only when the server closed it (or sent
    something unasked): either way it cannot carry the next request."""
    if hasattr(select, "poll"):  # any descriptor number; select() stops at 1024
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)
