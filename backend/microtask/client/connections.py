"""Kept-alive HTTP/1.1 connections to one plain-HTTP origin, for the API client's calls.

A gasless worker makes three small JSON requests a slot (claim, upload, hand-in). Through
httpx each cost about 0.8 ms of CPU in the worker's process (URL and header models, cookie
and auth and redirect layers, h11's parser), as much as sealing the answer. Every request
of the API client is a JSON document to or from one origin, so none of that generality is
needed there: a request is written in one piece and its answer read with a buffered
reader (`_Connection`, HTTP/1.1 as RFC 9112 has it: ``content-length``, chunked, or to
the connection's end; informational answers skipped); about a tenth of httpx's CPU, and
half of `http.client`'s, which parses each answer's headers with the `email` package.
`direct_origin` says which origins go this way: plain ``http`` that no proxy setting
covers (``microtask up`` on this machine or the LAN); ``https`` and proxied origins stay
on httpx, with its certificate store and proxy handling.

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
from typing import Final

MAX_LINE: Final = 65_536
MAX_HEADERS: Final = 100


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
        self._idle: list[_Connection] = []
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
        whole answer. Raises `OSError` (`TimeoutError` when the server is silent past
        ``timeout``) or `http.client.HTTPException` when the connection fails (closed with
        no answer: `http.client.RemoteDisconnected`); the connection is then dropped."""
        connection = self._take(timeout)
        try:
            answer, reusable = connection.exchange(
                method, self.prefix + target, body, headers, timeout
            )
        except BaseException:
            connection.close()
            raise
        if reusable:
            self._give_back(connection)
        else:
            connection.close()
        return answer

    def close(self) -> None:
        """Close the idle connections; ones in use close when given back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _take(self, timeout: float) -> _Connection:
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        if connection is not None and not _closed_by_peer(connection.sock):
            return connection
        if connection is not None:
            connection.close()
        return _Connection(self.host, self.port, timeout)

    def _give_back(self, connection: _Connection) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(connection)
                return
        connection.close()


class _Connection:
    """One HTTP/1.1 connection: a request written in one piece, its answer read to the end
    (by ``content-length``, chunks, or the connection's end). `http.client` would do the
    same and parse each answer's few headers with the `email` package, which cost as much
    as the rest of the request; the answers here are the platform's own JSON documents."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.reader = self.sock.makefile("rb")

    def exchange(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str], timeout: float
    ) -> tuple[Answer, bool]:
        """The answer to one request, and whether the connection may carry another."""
        if not target.startswith("/") or not target.isprintable() or " " in target:
            raise http.client.InvalidURL(f"not a request target: {target!r}")
        lines = [f"{method} {target} HTTP/1.1", f"host: {self.host}", "accept-encoding: identity"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            lines.append(f"content-length: {len(body)}")
        self.sock.settimeout(timeout)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        while True:
            version, status, reason = self._status_line()
            fields = self._header_fields()
            if not 100 <= status < 200:  # an informational answer precedes the real one
                break
        reusable = version == "HTTP/1.1" and "close" not in fields.get("connection", "").lower()
        if method == "HEAD" or status in (204, 304):
            content = b""
        elif "chunked" in fields.get("transfer-encoding", "").lower():
            content = self._chunks()
        elif "content-length" in fields:
            content = self._exactly(_length(fields["content-length"]))
        else:  # the body runs to the end of the connection
            content, reusable = self.reader.read(), False
        return Answer(status, reason, content), reusable

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def _line(self) -> bytes:
        line = self.reader.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise http.client.LineTooLong("an answer's line")
        return line

    def _status_line(self) -> tuple[str, int, str]:
        line = self._line()
        if not line:
            raise http.client.RemoteDisconnected("the server closed the connection, no answer")
        parts = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise http.client.BadStatusLine(line.decode("latin-1"))
        return parts[0], int(parts[1]), parts[2] if len(parts) > 2 else ""

    def _header_fields(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        for _ in range(MAX_HEADERS):
            line = self._line()
            if line in (b"\r\n", b"\n"):
                return fields
            if not line:
                raise http.client.IncompleteRead(b"")
            name, _, value = line.decode("latin-1").partition(":")
            fields[name.strip().lower()] = value.strip()
        raise http.client.HTTPException(f"more than {MAX_HEADERS} header fields")

    def _exactly(self, size: int) -> bytes:
        data = self.reader.read(size)
        if len(data) < size:
            raise http.client.IncompleteRead(data, size - len(data))
        return data

    def _chunks(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = _length(self._line().split(b";", 1)[0].strip(), base=16)
            if size == 0:
                self._header_fields()  # trailer fields, if any, and the blank line
                return b"".join(parts)
            parts.append(self._exactly(size))
            if self._line() not in (b"\r\n", b"\n"):
                raise http.client.HTTPException("a chunk does not end with a line end")


def _length(text: str | bytes, base: int = 10) -> int:
    try:
        size = int(text, base)
    except ValueError:
        raise http.client.HTTPException(f"not a length: {text!r}") from None
    if size < 0:
        raise http.client.HTTPException(f"not a length: {text!r}")
    return size


def _closed_by_peer(sock: socket.socket) -> bool:
    """An idle connection's socket is readable only when the server closed it (or sent
    something unasked): either way it cannot carry the next request."""
    if hasattr(select, "poll"):  # any descriptor number; select() stops at 1024
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)
