"""How the library reaches the platform: the API (and its failures, as one error each),
the network through plain JSON-RPC and through web3, tokens by address or symbol, a
platform opened from settings, and balances without an escrow."""

from __future__ import annotations

import http.server
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from web3 import Web3

from microtask.chain.accounts import dev_accounts
from microtask.chain.anvil import AnvilProcess
from microtask.chain.compiler import compile_project
from microtask.chain.deployer import deploy_platform
from microtask.chain.deployments import DeploymentNotFound, DeploymentStore
from microtask.chain.networks import NetworkUnreachable, reach
from microtask.chain.rpc import JsonRpc, Web3Caller
from microtask.chain.transactions import TransactionSender
from microtask.client import ApiClient, Platform, account_balances
from microtask.client.errors import ApiFailed, ApiRefused, ApiUnavailable, TaskNotFound
from microtask.client.token_lookup import resolve_token
from microtask.config import NetworkProfile
from microtask.errors import ConfigurationError, UserError
from tests.client.conftest import NOWHERE, Chain
from tests.conftest import make_settings


class _Failing(http.server.BaseHTTPRequestHandler):
    """Answers 500 with a problem document, or 418 with a body that is not JSON."""

    def do_GET(self) -> None:
        if self.path.startswith("/broken"):
            body, status, kind = b'{"title": "it broke"}', 500, "application/problem+json"
        else:
            body, status, kind = b"<html>teapot</html>", 418, "text/html"
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def failing() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _DropsFirst:
    """A server that reads the first request and closes the connection without an
    answer, as a server whose keep-alive ran out does (uvicorn cannot be made to do it on
    demand); later connections get a JSON answer. Counts the requests it read."""

    def __init__(self) -> None:
        import socket

        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.requests = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += connection.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length: *(\d+)", head)
                while length and len(body) < int(length.group(1)):
                    body += connection.recv(65536)
                self.requests += 1
                if self.requests == 1:
                    continue  # closed with no answer
                answer = b'{"ok": true}'
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(answer), answer)
                )

    def close(self) -> None:
        self.listener.close()


@pytest.mark.parametrize("idempotent", [True, False])
def test_a_dropped_connection_resends_only_what_means_the_same_twice(idempotent: bool) -> None:
    server = _DropsFirst()
    try:
        with ApiClient(server.url) as api:
            if idempotent:
                assert api.post("/verifier/claims", {"slot": 1}, idempotent=True) == {"ok": True}
                assert server.requests == 2
            else:
                with pytest.raises(ApiUnavailable, match="cannot reach"):
                    api.post("/verifier/policies", {"issued_at": 1})
                assert server.requests == 1  # never sent twice
    finally:
        server.close()


def test_api_failures_are_one_error_each(failing: str) -> None:
    with ApiClient(failing) as api:
        with pytest.raises(ApiFailed, match="the API answered 500: it broke"):
            api.get("/broken")
        with pytest.raises(ApiRefused) as refused:
            api.get("/teapot")
        assert (refused.value.status, str(refused.value)) == (
            418,
            "the API answered 418: I'm a Teapot",  # the reason phrase: no JSON body
        )
        assert isinstance(refused.value, UserError)
        shared = api.http
    assert shared.is_closed  # closed with the client that opened it
    with ApiClient(NOWHERE) as nobody, pytest.raises(ApiUnavailable, match="cannot reach the API"):
        nobody.get("/tasks", {"status": "open", "requester": None})
    with httpx.Client() as http_client:
        with ApiClient(NOWHERE, http=http_client):
            pass
        assert not http_client.is_closed  # a shared client is its owner's to close


def test_the_network_is_reached_without_web3_and_refused_on_the_wrong_chain(
    anvil_w3: Web3, anvil_process: AnvilProcess, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    endpoint = reach(settings, "local", url=anvil_process.url)
    assert (endpoint.url, endpoint.chain_id) == (anvil_process.url, anvil_w3.eth.chain_id)
    assert endpoint.connect().w3.eth.block_number == anvil_w3.eth.block_number
    with pytest.raises(
        NetworkUnreachable,
        match=re.escape("cannot reach network 'local' at http://127.0.0.1:9: connection refused"),
    ):
        reach(settings, "local", url=NOWHERE)
    other = NetworkProfile(rpc_url=anvil_process.url, chain_id=5)  # type: ignore[arg-type]
    wrong = make_settings(tmp_path, networks={"other": other})
    with pytest.raises(ConfigurationError, match="configured for chain 5"):
        reach(wrong, "other")
    embedded = reach(settings, "embedded")
    assert (embedded.url, embedded.connect().chain_id) == (None, embedded.chain_id)


def test_tokens_resolve_through_json_rpc_and_through_web3_alike(
    chain: Chain, anvil_w3: Web3, anvil_process: AnvilProcess
) -> None:
    through_web3 = resolve_token(Web3Caller(chain.w3), chain.token.address.lower())
    assert (through_web3.address, through_web3.symbol, through_web3.decimals) == (
        chain.token.address,
        "TUSD",
        6,
    )
    assert chain.platform.token("tusd") == through_web3  # by its deployed symbol
    with pytest.raises(UserError, match=r"not a token: 'DOGE'.*deployed on this network: TUSD"):
        chain.platform.token("DOGE")
    with JsonRpc(anvil_process.url) as rpc:
        nobody = dev_accounts()[9].address
        with pytest.raises(UserError, match="does not answer as an ERC-20"):
            resolve_token(rpc, nobody)  # an account, not a contract
        assert resolve_token(rpc, "eth").symbol == "ETH"


def test_a_platform_opens_from_settings_and_closes_what_it_opened(
    anvil_w3: Web3, anvil_process: AnvilProcess, tmp_path: Path
) -> None:
    assert anvil_process.port is not None
    local = NetworkProfile(kind="anvil", port=anvil_process.port)
    settings = make_settings(
        tmp_path, networks={"local": local}, content_store="local", api_url=NOWHERE
    )
    with pytest.raises(DeploymentNotFound):
        Platform.open(settings, "local")
    before = account_balances(settings, "local", dev_accounts()[5].address)
    assert [(b.token.symbol, b.ledger) for b in before] == [("ETH", None)]
    owner = TransactionSender(anvil_w3, dev_accounts()[0])
    deploy_platform(
        owner, DeploymentStore(settings.deployments_dir, "local"), compile_project(settings)
    )
    with Platform.open(settings, "local") as platform:
        assert platform.network == "local"
        assert platform.reader.task_count() == 0
        with pytest.raises(TaskNotFound, match="task 1 does not exist on local"):
            platform.manifest(1)
        http_client = platform.http
    assert http_client.is_closed
    [eth] = account_balances(settings, "local", dev_accounts()[5].address)
    assert (eth.ledger, eth.wallet) == (0, anvil_w3.eth.get_balance(dev_accounts()[5].address))


class _KeepAlive:
    """A keep-alive server that counts the connections it accepted and the requests it
    answered; after answering a request to ``/then-close`` it closes that connection
    unannounced, as a server whose keep-alive ran out does while the client idles."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.connections = 0
        self.requests: list[tuple[str, bytes]] = []
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        data = b""
        with connection:
            while True:
                while b"\r\n\r\n" not in data:
                    more = connection.recv(65536)
                    if not more:
                        return
                    data += more
                head, _, data = data.partition(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length: *(\d+)", head)
                size = int(length.group(1)) if length else 0
                while len(data) < size:
                    data += connection.recv(65536)
                body, data = data[:size], data[size:]
                target = head.split(b" ")[1].decode()
                self.requests.append((target, body))
                status = b"404 Not Found" if target.startswith("/missing") else b"200 OK"
                answer = b'{"target": "%s", "cid": "bafk"}' % target.encode()
                connection.sendall(
                    b"HTTP/1.1 %s\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n%s" % (status, len(answer), answer)
                )
                if target == "/then-close":
                    connection.shutdown(socket.SHUT_RDWR)
                    self.closed.set()
                    return

    def close(self) -> None:
        self.listener.close()


def test_requests_keep_one_connection_and_one_the_server_closed_is_opened_again() -> None:
    """Plain-http requests reuse one kept-alive connection; one the server closed while
    idle is noticed before use, so even a write that must not be sent twice goes out
    once, on a new connection. Every answer is told to ``observe``."""
    server = _KeepAlive()
    seen: list[tuple[str, str, int]] = []
    try:
        with ApiClient(server.url, observe=lambda m, p, s, c: seen.append((m, p, c))) as api:
            read = api.get("/tasks", {"status": "open", "requester": None, "mine": True})
            assert read["target"] == "/tasks?status=open&mine=true"
            assert api.post("/verifier/claims", {"slot": 1}, idempotent=True)["cid"] == "bafk"
            assert api.upload_json({"b": 1, "a": "é"}) == "bafk"
            assert server.connections == 1
            api.get("/then-close")
            assert server.closed.wait(10)
            api.post("/verifier/policies", {"issued_at": 1})  # not idempotent
            with pytest.raises(ApiRefused, match="the API answered 404"):
                api.get("/missing")
        assert server.connections == 2
        with ApiClient(f"{server.url}/under/") as prefixed:
            assert prefixed.get("/tasks")["target"] == "/under/tasks"
        server.requests.pop()
        targets = [target for target, _ in server.requests]
        assert targets == [
            "/tasks?status=open&mine=true", "/verifier/claims", "/content", "/then-close",
            "/verifier/policies", "/missing",
        ]  # fmt: skip
        assert server.requests[2][1] == '{"a":"é","b":1}'.encode()  # canonical JSON
        assert server.requests[4][1] == b'{"issued_at":1}'
        assert seen == [
            ("GET", "/tasks", 200), ("POST", "/verifier/claims", 200), ("POST", "/content", 200),
            ("GET", "/then-close", 200), ("POST", "/verifier/policies", 200),
            ("GET", "/missing", 404),
        ]  # fmt: skip
    finally:
        server.close()


def test_only_plain_http_that_no_proxy_covers_bypasses_httpx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from microtask.client.connections import direct_origin

    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert direct_origin("http://127.0.0.1:8000") == ("127.0.0.1", 8000, "")
    assert direct_origin("http://api.example/microtask/") == ("api.example", 80, "/microtask")
    assert direct_origin("https://api.example") is None  # TLS: httpx and its certificates
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    assert direct_origin("http://api.example") is None  # through the proxy, as httpx does
    monkeypatch.setenv("NO_PROXY", "api.example")
    assert direct_origin("http://api.example") == ("api.example", 80, "")
