"""Parties with real secp256k1 keys, and a valid manifest to vary in each test."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from microtask.manifests import TaskManifest
from microtask.manifests.sealing import public_key_of

CHAIN_ID = 31337
ESCROW = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
MANIFEST_CID = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
MEDIA_CID = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"


def account(seed: int) -> LocalAccount:
    acct: LocalAccount = Account.from_key(seed.to_bytes(32, "big"))
    return acct


REQUESTER = account(0xA11CE)
VERIFIER = account(0xB0B)
WORKER = account(0xC0FFEE)
STRANGER = account(0xD00D)


def public_key(who: LocalAccount) -> str:
    return "0x" + public_key_of(who.key).hex()


def manifest_data(**changes: Any) -> dict[str, Any]:
    """A valid classification manifest as JSON data, with ``changes`` applied on top."""
    data: dict[str, Any] = {
        "type": "microtask/task-manifest",
        "schema_version": 1,
        "title": "Cat or dog?",
        "instructions": "Look at the photo and pick **one** label.",
        "kind": "classification",
        "answer_schema": {
            "kind": "classification",
            "labels": [{"id": "cat", "text": "Cat"}, {"id": "dog", "text": "Dog"}],
        },
        "inputs": {
            "source": "inline",
            "items": [
                {"id": "photo-1", "media": [MEDIA_CID]},
                {"id": "photo-2", "data": {"caption": "on the sofa"}},
            ],
        },
        "redundancy": 3,
        "tags": ["images", "animals"],
        "language": "en",
        "qualifications": [{"name": "pet-expert", "min_score": 0.8}],
        "time_estimate_seconds": 20,
        "requester": REQUESTER.address,
        "requester_public_key": public_key(REQUESTER),
        "verifier": VERIFIER.address,
        "verifier_public_key": public_key(VERIFIER),
    }
    data = copy.deepcopy(data)
    data.update(changes)
    return data


@pytest.fixture
def manifest() -> TaskManifest:
    return TaskManifest.model_validate(manifest_data())
