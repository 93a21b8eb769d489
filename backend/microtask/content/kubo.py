"""`KuboStore`: content on a Kubo (go-ipfs) node, through its RPC API and ipfshttpclient.

ipfshttpclient 0.7.0 is the maintained client, but its ``connect()`` refuses any daemon
newer than 0.7 (and warns about 0.8 pre-releases); the version check is all ``connect()``
adds, so we construct ``Client`` directly and check the daemon ourselves in `version`. We
use only RPC calls that current Kubo still serves: add, cat, block, pin, dag, repo gc.

We trust the node for nothing: a file is read block by block (``block/get``) and every
block is hashed here before its bytes are served, so a tampered block on the node (Kubo
does not re-hash on read unless ``Datastore.HashOnRead`` is set) is caught just as in the
local store, and CAR exports are built from the same checked blocks.
"""

from __future__ import annotations

import ipaddress
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import ipfshttpclient
from ipfshttpclient import exceptions as ipfs_errors

from microtask.content.car import write_car
from microtask.content.cid import CID, CidLike, parse_cid, verify_block
from microtask.content.dag import ContentStat, describe, file_chunks, walk
from microtask.content.errors import (
    CarFormatError,
    ContentError,
    ContentNotFound,
    ContentStoreUnavailable,
    NotAFile,
    NotPinned,
)
from microtask.content.importer import ProgressCallback
from microtask.content.store import CarImport, ContentStore, GcResult
from microtask.errors import ConfigurationError

DEFAULT_TIMEOUT = 60.0


def _silence_strict_warning() -> None:
    """Hide urllib3's warning that ipfshttpclient 0.7 still passes ``strict``.

    It is harmless and not ours to fix. Installed per store rather than at import, so it
    holds even where warning filters were reset after this module was imported (pytest
    does that around collection); re-adding an identical filter replaces it.
    """
    warnings.filterwarnings(
        "ignore", message="The 'strict' parameter is no longer needed", category=FutureWarning
    )


_NOT_FOUND = ("not found", "could not find", "no link named")


def api_multiaddr(api: str) -> tuple[str, str]:
    """A Kubo RPC address, as a multiaddr or an http(s) URL, as (multiaddr, base path).

    ``/ip4/127.0.0.1/tcp/5001`` and ``http://127.0.0.1:5001`` name the same endpoint;
    a URL's path, if any, replaces the default ``/api/v0`` base.
    """
    text = api.strip()
    if text.startswith("/"):
        return text, "api/v0"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"Kubo API {api!r} is neither a multiaddr (/ip4/127.0.0.1/tcp/5001) "
            "nor an http(s) URL (http://127.0.0.1:5001)"
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ConfigurationError(f"Kubo API {api!r} has an invalid port") from None
    host = parts.hostname
    try:
        protocol = "ip4" if ipaddress.ip_address(host).version == 4 else "ip6"
    except ValueError:
        protocol = "dns"
    base = parts.path.strip("/") or "api/v0"
    return f"/{protocol}/{host}/tcp/{port}/{parts.scheme}", base


class _CountingReader:
    """Passes reads through and reports the running total, for `add` progress."""

    def __init__(self, stream: BinaryIO, progress: ProgressCallback) -> None:
        self._stream = stream
        self._progress = progress
        self._total = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if data:
            self._total += len(data)
            self._progress(self._total)
        return data


class KuboStore(ContentStore):
    kind = "kubo"

    def __init__(self, api: str, *, timeout: float = DEFAULT_TIMEOUT, offline: bool = False):
        """Talk to the Kubo RPC API at ``api`` (a multiaddr or URL).

        ``offline`` asks the node never to search the network for missing blocks (they are
        reported missing at once); otherwise a read may wait up to ``timeout`` seconds
        while the node looks for them.
        """
        self.api = api
        self.timeout = timeout
        self.offline = offline
        _silence_strict_warning()
        address, base = api_multiaddr(api)
        try:
            self._client: Any = ipfshttpclient.Client(
                address, base, offline=offline, timeout=timeout, session=True
            )
        except ipfs_errors.AddressError as error:
            raise ConfigurationError(f"invalid Kubo API address {api!r}: {error}") from None

    def close(self) -> None:
        self._client.close()

    def describe(self) -> str:
        return f"Kubo {self.version()} at {self.api}"

    def version(self) -> str:
        """The daemon's version; also proves it answers."""
        with self._errors("version"):
            return str(self._client.version()["Version"])

    @contextmanager
    def _errors(
        self, action: str, cid: CID | None = None, refusal: type[ContentError] = ContentError
    ) -> Iterator[None]:
        """Kubo's and the client's errors as ours, each with what was being done.

        A refusal Kubo explains in words we do not recognise becomes ``refusal``, with
        Kubo's own words.
        """
        subject = f" {cid}" if cid is not None else ""
        try:
            yield
        except ipfs_errors.ConnectionError as error:
            raise ContentStoreUnavailable(
                f"cannot reach the Kubo node at {self.api} ({action}{subject}): {error}"
            ) from None
        except ipfs_errors.TimeoutError:
            raise ContentStoreUnavailable(
                f"the Kubo node at {self.api} did not finish {action}{subject} within "
                f"{self.timeout:g}s (content not on the network, or the node is stuck)"
            ) from None
        except ipfs_errors.ErrorResponse as error:
            message = str(error)
            lowered = message.lower()
            if "not pinned" in lowered:
                raise NotPinned(f"{cid} is not pinned") from None
            if any(marker in lowered for marker in _NOT_FOUND):
                raise ContentNotFound(f"{cid or 'content'} is not on the Kubo node") from None
            if "is a directory" in lowered:
                raise NotAFile(f"{cid} is a directory, not a file") from None
            raise refusal(f"Kubo refused {action}{subject}: {message}") from None
        except ipfs_errors.Error as error:
            raise ContentStoreUnavailable(
                f"unexpected answer from the Kubo node at {self.api} ({action}{subject}): {error}"
            ) from None

    def add_stream(
        self,
        stream: BinaryIO,
        *,
        cid_version: int = 0,
        pin: bool = True,
        progress: ProgressCallback | None = None,
    ) -> CID:
        if cid_version not in (0, 1):
            raise ValueError(f"CID version must be 0 or 1, not {cid_version}")
        source: Any = _CountingReader(stream, progress) if progress is not None else stream
        with self._errors("add"):
            answer = self._client.add(
                source, cid_version=cid_version, raw_leaves=cid_version == 1, pin=pin
            )
        return parse_cid(answer["Hash"])

    def _get_block(self, cid: CID) -> bytes:
        with self._errors("block get", cid):
            data: bytes = self._client.block.get(str(cid))
        verify_block(cid, data, where=f"on the Kubo node at {self.api}")
        return data

    def iter_cat(self, cid: CidLike) -> Iterator[bytes]:
        return file_chunks(parse_cid(cid), self._get_block)

    def stat(self, cid: CidLike) -> ContentStat:
        parsed = parse_cid(cid)
        return describe(parsed, self._get_block(parsed))

    def has(self, cid: CidLike) -> bool:
        parsed = parse_cid(cid)
        try:
            with self._errors("block stat", parsed):
                self._client.block.stat(str(parsed), offline=True)
        except ContentNotFound:
            return False
        return True

    def pin(self, cid: CidLike) -> None:
        parsed = parse_cid(cid)
        with self._errors("pin add", parsed):
            self._client.pin.add(str(parsed), recursive=True)

    def unpin(self, cid: CidLike) -> None:
        parsed = parse_cid(cid)
        with self._errors("pin rm", parsed):
            self._client.pin.rm(str(parsed), recursive=True)

    def pins(self) -> list[CID]:
        with self._errors("pin ls"):
            answer = self._client.pin.ls(type="recursive")
        return [parse_cid(key) for key in sorted(answer["Keys"])]

    def gc(self) -> GcResult:
        with self._errors("repo gc"):
            removed = self._client.repo.gc()
        return GcResult(sum(1 for item in removed if "Key" in item), None)

    def export_car(self, cid: CidLike, stream: BinaryIO) -> int:
        parsed = parse_cid(cid)
        return write_car(stream, [parsed], walk(parsed, self._get_block))

    def import_car(self, stream: BinaryIO, *, pin_roots: bool = True) -> CarImport:
        """``dag import``: Kubo checks every block's hash (go-car's untrusted reader)."""
        with self._errors("dag import", refusal=CarFormatError):
            options = {"pin-roots": str(pin_roots).lower(), "stats": "true"}
            answers = list(self._client.dag.imprt(stream, opts=options, stream=True))
        roots: list[CID] = []
        blocks = 0
        for answer in answers:
            if "Root" in answer:
                root = answer["Root"]
                if root.get("PinErrorMsg"):
                    raise ContentNotFound(
                        f"imported, but root {root['Cid']['/']} could not be pinned: "
                        f"{root['PinErrorMsg']}"
                    )
                roots.append(parse_cid(root["Cid"]["/"]))
            if "Stats" in answer:
                blocks = int(answer["Stats"].get("BlockCount", 0))
        return CarImport(tuple(roots), blocks, pin_roots)
