"""What the indexer asks of the node: the head, block headers, and the escrow's logs.

Failures are sorted into the two kinds the indexer treats differently: `RangeRefused` (the
node will not serve this many blocks or logs at once, or timed out on them: ask for fewer)
and `RpcUnavailable` (the node is down or misbehaving: wait and retry). Headers of many
blocks go in one JSON-RPC batch where the provider supports batches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hexbytes import HexBytes
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import Timeout
from web3 import HTTPProvider, Web3
from web3.exceptions import Web3Exception, Web3RPCError, Web3TypeError
from web3.types import RPCEndpoint

from microtask.chain.networks import short_reason
from microtask.errors import EnvironmentProblem
from microtask.indexer.decoding import RawLog

# What nodes say when a log query is too big: geth, erigon, Alchemy, Infura, QuickNode, anvil
_TOO_LARGE = re.compile(
    r"range|too many|too large|limit|exceed|more than \d+ results|response size|"
    r"max results|query timeout|timed out",
    re.IGNORECASE,
)
HEADER_BATCH = 100


class RpcUnavailable(EnvironmentProblem, ConnectionError):
    """The node did not answer, or answered with an error the indexer cannot act on."""


class RangeRefused(EnvironmentProblem):
    """The node refused (or timed out on) a log query over this many blocks."""


@dataclass(frozen=True, slots=True)
class BlockHeader:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


def _hex(value: Any) -> str:
    return HexBytes(value).to_0x_hex()


def _header(block: Any) -> BlockHeader:
    return BlockHeader(
        number=int(block["number"]),
        hash=_hex(block["hash"]),
        parent_hash=_hex(block["parentHash"]),
        timestamp=int(block["timestamp"]),
    )


def _unavailable(action: str, error: BaseException) -> RpcUnavailable:
    return RpcUnavailable(f"{action}: {short_reason(error)}")


class ChainReader:
    """Reads one contract's logs and the headers around them from one node."""

    def __init__(self, w3: Web3, address: str) -> None:
        self.w3 = w3
        self.address = Web3.to_checksum_address(address)
        self._batches = True

    def head(self) -> BlockHeader:
        if isinstance(self.w3.provider, HTTPProvider):
            return self._raw_head()
        try:
            return _header(self.w3.eth.get_block("latest"))
        except (OSError, Web3Exception, RequestsConnectionError, Timeout) as error:
            raise _unavailable("reading the chain head", error) from error

    def _raw_head(self) -> BlockHeader:
        """``eth_getBlockByNumber("latest")`` straight over HTTP: the indexer asks twice a
        second, and web3's middleware and result formatters cost several times the request
        (the header is the same: `tests/indexer/test_quiet_head.py` holds it to web3's)."""
        try:
            response = self.w3.provider.make_request(
                RPCEndpoint("eth_getBlockByNumber"), ["latest", False]
            )
        except (OSError, Web3Exception, RequestsConnectionError, Timeout) as error:
            raise _unavailable("reading the chain head", error) from error
        failure = response.get("error")
        block = response.get("result")
        if failure is not None or not block:
            message = failure.get("message", failure) if isinstance(failure, dict) else failure
            raise RpcUnavailable(f"reading the chain head: {message or 'no latest block'}")
        return BlockHeader(
            number=int(block["number"], 16),
            hash=block["hash"].lower(),
            parent_hash=block["parentHash"].lower(),
            timestamp=int(block["timestamp"], 16),
        )

    def header(self, number: int) -> BlockHeader | None:
        """The canonical block at ``number``, or None when the chain is shorter."""
        return self.headers([number]).get(number)

    def headers(self, numbers: Iterable[int]) -> dict[int, BlockHeader]:
        """Canonical headers by number (absent: past the chain's end), batched if possible."""
        wanted = sorted(set(numbers))
        found: dict[int, BlockHeader] = {}
        try:
            for start in range(0, len(wanted), HEADER_BATCH):
                chunk = wanted[start : start + HEADER_BATCH]
                for block in self._blocks(chunk):
                    if block is not None:
                        header = _header(block)
                        found[header.number] = header
        except (OSError, Web3Exception, RequestsConnectionError, Timeout) as error:
            if isinstance(error, Web3RPCError) and "not found" in str(error).lower():
                return found
            raise _unavailable("reading block headers", error) from error
        return found

    def _blocks(self, numbers: list[int]) -> list[Any]:
        if self._batches and len(numbers) > 1:
            try:
                with self.w3.batch_requests() as batch:
                    for number in numbers:
                        batch.add(self.w3.eth.get_block(number))
                    return list(batch.execute())
            except Web3TypeError:
                self._batches = False  # eth-tester and some providers have no batches
        return [self._block_or_none(number) for number in numbers]

    def _block_or_none(self, number: int) -> Any:
        try:
            return self.w3.eth.get_block(number)
        except Web3Exception as error:
            if "not found" in str(error).lower():
                return None
            raise

    def logs(self, start: int, end: int) -> list[RawLog]:
        """The contract's logs in blocks ``start`` to ``end`` inclusive, in chain order."""
        if isinstance(self.w3.provider, HTTPProvider):
            return self._raw_logs(start, end)
        try:
            entries = self.w3.eth.get_logs(
                {"address": self.address, "fromBlock": start, "toBlock": end}
            )
        except (Timeout, TimeoutError) as error:
            raise RangeRefused(f"blocks {start}-{end}: timed out") from error
        except Web3RPCError as error:
            if end > start and _TOO_LARGE.search(str(error)):
                raise RangeRefused(f"blocks {start}-{end}: {error}") from error
            raise _unavailable("reading logs", error) from error
        except (OSError, Web3Exception, RequestsConnectionError) as error:
            raise _unavailable("reading logs", error) from error
        logs = [
            RawLog(
                topics=tuple(bytes(topic) for topic in entry["topics"]),
                data=bytes(entry["data"]),
                block_number=int(entry["blockNumber"]),
                block_hash=_hex(entry["blockHash"]),
                tx_hash=_hex(entry["transactionHash"]),
                tx_index=int(entry["transactionIndex"]),
                log_index=int(entry["logIndex"]),
            )
            for entry in entries
            if not entry.get("removed", False)
        ]
        logs.sort(key=lambda log: (log.block_number, log.log_index))
        return logs

    def _raw_logs(self, start: int, end: int) -> list[RawLog]:
        """``eth_getLogs`` straight over HTTP: web3's result formatters cost more than the
        rest of ingestion per log, and the indexer needs only hex strings and numbers."""
        query = {"address": self.address, "fromBlock": hex(start), "toBlock": hex(end)}
        try:
            response = self.w3.provider.make_request(RPCEndpoint("eth_getLogs"), [query])
        except (Timeout, TimeoutError) as error:
            raise RangeRefused(f"blocks {start}-{end}: timed out") from error
        except (OSError, Web3Exception, RequestsConnectionError) as error:
            raise _unavailable("reading logs", error) from error
        failure = response.get("error")
        if failure is not None:
            message = failure.get("message", failure) if isinstance(failure, dict) else failure
            message = str(message)
            if end > start and _TOO_LARGE.search(message):
                raise RangeRefused(f"blocks {start}-{end}: {message}")
            raise RpcUnavailable(f"reading logs: {message}")
        logs = [
            RawLog(
                topics=tuple(bytes.fromhex(topic[2:]) for topic in entry["topics"]),
                data=bytes.fromhex(entry["data"][2:]),
                block_number=int(entry["blockNumber"], 16),
                block_hash=entry["blockHash"],
                tx_hash=entry["transactionHash"],
                tx_index=int(entry["transactionIndex"], 16),
                log_index=int(entry["logIndex"], 16),
            )
            for entry in response.get("result") or []
            if not entry.get("removed", False)
        ]
        logs.sort(key=lambda log: (log.block_number, log.log_index))
        return logs
