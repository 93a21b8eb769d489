"""Kept-alive HTTP/1.1 connections to one plain-HTTP origin, for the API client's calls.

A gasless worker makes three small JSON requests a slot (claim, upload, hand-in). Through
httpx each cost about 0.8 ms of CPU in the worker's process (URL and header models, cookie
and auth and redirect layers, h11's parser), as much as sealing the answer; the standard
library's `http.client` on a kept-alive connection costs about a tenth of that, and its
answer object (a buffered socket file, headers parsed as an e-mail message) still about
ten times the socket's own send and receive. Every request of the API client is a JSON
document to or from one origin, so nothing of httpx's generality is needed there, nor of
http.client's: `Connection` writes the request in one ``send`` and reads the answer off
the socket itself (HTTP/1.1: a ``content-length`` body, a chunked one, or one to the
end of the connection; ``connection: close`` and HTTP/1.0 honoured), raising
`http.client`'s exceptions, so callers handle failures as before. `direct_origin` says
which origins go this way: plain ``http`` that no proxy setting covers (``microtask up``
on this machine or the LAN); ``https`` and proxied origins stay on httpx, with its
certificate store and proxy handling.

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

MAX_HEAD_BYTES: Final = 65_536
"""The most an answer's status line and headers may take (http.client allows 100 lines
of 64 KiB); an API's are a few hundred bytes."""
RECEIVE_BYTES: Final = 65_536
BODYLESS: Final = frozenset({204, 304})


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
        self._idle: list[Connection] = []
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
            answer = connection.exchange(method, self.prefix + target, body, headers, timeout)
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

    def _take(self) -> Connection:
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            return Connection(self.host, self.port)
        if connection.sock is not None and _closed_by_peer(connection.sock):
            connection.close()  # reopened by the next request
        return connection

    def _give_back(self, connection: Connection) -> None:
        if connection.sock is None:
            return  # closed after its answer: nothing to keep
        with self._lock:
            if not self._closed:
                self._idle.append(connection)
                return
        connection.close()


class Connection:
    """One HTTP/1.1 connection to ``host``:``port``, opened on first use and kept alive
    between requests unless the server says otherwise; one request at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.sock: socket.socket | None = None
        self._host_field = f"[{host}]" if ":" in host else host  # an IPv6 literal
        if port != 80:
            self._host_field += f":{port}"
        self._unread = b""

    def close(self) -> None:
        sock, self.sock, self._unread = self.sock, None, b""
        if sock is not None:
            sock.close()

    def exchange(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str], timeout: float
    ) -> Answer:
        """Send the request and read its whole answer (any 1xx before it skipped).
        Raises `OSError` (`TimeoutError` past ``timeout``) or `http.client.HTTPException`
        (`http.client.RemoteDisconnected` when the connection ends before an answer)."""
        sock = self.sock
        if sock is None:
            sock = self.sock = socket.create_connection((self.host, self.port), timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            sock.settimeout(timeout)
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self._host_field}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body or b'')}")
        lines.append("\r\n")
        sock.sendall("\r\n".join(lines).encode("latin-1") + (body or b""))
        version, status, reason, fields = self._read_head()
        while 100 <= status < 200:
            version, status, reason, fields = self._read_head()
        keep = version == "HTTP/1.1"
        tokens = fields.get("connection", "").lower()
        if "close" in tokens:
            keep = False
        elif "keep-alive" in tokens:
            keep = True
        if method == "HEAD" or status in BODYLESS:
            content = b""
        elif "chunked" in fields.get("transfer-encoding", "").lower():
            content = self._read_chunked()
        elif "content-length" in fields:
            try:
                length = int(fields["content-length"])
            except ValueError:
                length = -1
            if length < 0:
                raise http.client.HTTPException(f"bad content-length {fields['content-length']!r}")
            content = self._read_exactly(length)
        else:
            content = self._read_to_end()
            keep = False
        if not keep or self._unread:  # unasked bytes: the connection is out of step
            self.close()
        return Answer(status, reason, content)

    def _receive(self) -> bytes:
        assert self.sock is not None
        return self.sock.recv(RECEIVE_BYTES)

    def _read_head(self) -> tuple[str, int, str, dict[str, str]]:
        data = self._unread
        end = data.find(b"\r\n\r\n")
        while end < 0:
            if len(data) > MAX_HEAD_BYTES:
                raise http.client.HTTPException("the answer's head is too long")
            more = self._receive()
            if not more:
                if data:
                    raise http.client.IncompleteRead(data)
                raise http.client.RemoteDisconnected("the server closed the connection unanswered")
            data += more
            end = data.find(b"\r\n\r\n", max(0, len(data) - len(more) - 3))
        self._unread = data[end + 4 :]
        status_line, *field_lines = data[:end].decode("latin-1").split("\r\n")
        version, _, rest = status_line.partition(" ")
        code, _, reason = rest.partition(" ")
        if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
            raise http.client.BadStatusLine(status_line)
        fields: dict[str, str] = {}
        for line in field_lines:
            name, colon, value = line.partition(":")
            if not colon:
                raise http.client.HTTPException(f"malformed header line {line[:80]!r}")
            fields[name.strip().lower()] = value.strip()
        return version, int(code), reason.strip(), fields

    def _read_exactly(self, length: int) -> bytes:
        data = self._unread
        if len(data) < length:
            parts = [data]
            have = len(data)
            while have < length:
                more = self._receive()
                if not more:
                    raise http.client.IncompleteRead(b"".join(parts), length - have)
                parts.append(more)
                have += len(more)
            data = b"".join(parts)
        self._unread = data[length:]
        return data[:length]

    def _read_line(self) -> bytes:
        data = self._unread
        end = data.find(b"\r\n")
        while end < 0:
            if len(data) > MAX_HEAD_BYTES:
                raise http.client.HTTPException("a chunk's size line is too long")
            more = self._receive()
            if not more:
                raise http.client.IncompleteRead(data)
            data += more
            end = data.find(b"\r\n")
        self._unread = data[end + 2 :]
        return data[:end]

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            line = self._read_line().split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                raise http.client.HTTPException(f"bad chunk size {line[:20]!r}") from None
            if size == 0:
                while self._read_line():  # trailer fields, up to the empty line
                    pass
                return b"".join(parts)
            parts.append(self._read_exactly(size))
            if self._read_line():
                raise http.client.HTTPException("a chunk runs past its size")

    def _read_to_end(self) -> bytes:
        parts = [self._unread]
        self._unread = b""
        while more := self._receive():
            parts.append(more)
        return b"".join(parts)


def _closed_by_peer(sock: socket.socket) -> bool:
    """An idle connection's socket is readable only when the server closed it (or sent
    something unasked): either way it cannot carry the next request."""
    if hasattr(select, "poll"):  # any descriptor number; select() stops at 1024
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)
