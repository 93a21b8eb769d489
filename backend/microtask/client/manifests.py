"""A requester's manifest file made ready: read, defaults filled in, validated.

The requester's address and public key (and, for a gasless task, the verifier's) are
filled in when the file leaves them out, so a manifest written once works for anyone who
posts it; a manifest naming another requester is refused.

Example::

    document = read_manifest_file(Path("labels.json"))
    manifest = complete_manifest(document, requester=me, requester_public_key=key)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from web3 import Web3

from microtask.client.errors import ManifestUnreadable, Refused
from microtask.manifests import TaskManifest, parse_as


def read_manifest_file(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; `ManifestUnreadable` when it is missing or not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ManifestUnreadable(f"cannot read {path}: {error.strerror}") from None
    except ValueError as error:
        raise ManifestUnreadable(f"{path} is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise ManifestUnreadable(f"{path} must hold a JSON object (a task manifest)")
    return data


def complete_manifest(
    document: Mapping[str, Any],
    *,
    requester: str,
    requester_public_key: str | None,
    defaults: Mapping[str, Any] | None = None,
) -> TaskManifest:
    """``document`` with ``defaults`` (e.g. the verifier's address and key), the requester's
    address and public key filled in where absent, validated as a `TaskManifest`.

    ``requester_public_key`` (0x-hex, uncompressed) may be None only if the document has
    one; a document naming another requester is refused.
    """
    data = dict(document)
    for key, value in (defaults or {}).items():
        data.setdefault(key, value)
    data.setdefault("requester", requester)
    if "requester_public_key" not in data:
        if requester_public_key is None:
            raise Refused("the manifest needs requester_public_key (or a signer to derive it)")
        data["requester_public_key"] = requester_public_key
    if Web3.to_checksum_address(str(data["requester"])) != Web3.to_checksum_address(requester):
        raise Refused(
            f"the manifest names requester {data['requester']}, but you sign as {requester}"
        )
    return parse_as(TaskManifest, json.dumps(data).encode())
