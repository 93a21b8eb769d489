"""Gold items: inputs whose right answer is known to the checker, and to nobody else.

A worker must not tell gold from ordinary items, nor learn the answers from the manifest
(it is public). Two ways to hide them:

- ``encrypted``: each answer sealed to the verifier's key (ECIES, as submissions), so the
  verifier can score gold automatically and nobody else can read them.
- ``salted_sha256``: each answer as sha256(salt || canonical JSON of the answer), the salts
  kept by the requester, who can later prove an answer by revealing its salt; a short
  answer cannot be guessed from its hash because the salt is random (32 bytes).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated, Literal

import ecies
from pydantic import Field, TypeAdapter, ValidationError

from microtask.encoding.canonical import canonical_json
from microtask.manifests.answers import Answer, Strict
from microtask.manifests.errors import DecryptionFailed
from microtask.manifests.fields import Base64Bytes, HexBytes, Identifier, public_key_bytes
from microtask.manifests.limits import MAX_GOLD_ITEMS
from microtask.manifests.sealing import ECIES_CONFIG

SALT_BYTES = 32
_ANSWER = TypeAdapter(Answer)


class EncryptedGoldItem(Strict):
    item_id: Identifier
    sealed_answer: Base64Bytes = Field(max_length=64 << 10)


class HashedGoldItem(Strict):
    item_id: Identifier
    answer_hash: HexBytes = Field(min_length=32, max_length=32)


class EncryptedGoldSet(Strict):
    scheme: Literal["encrypted"] = "encrypted"
    items: list[EncryptedGoldItem] = Field(min_length=1, max_length=MAX_GOLD_ITEMS)


class HashedGoldSet(Strict):
    scheme: Literal["salted_sha256"] = "salted_sha256"
    items: list[HashedGoldItem] = Field(min_length=1, max_length=MAX_GOLD_ITEMS)


GoldSet = Annotated[EncryptedGoldSet | HashedGoldSet, Field(discriminator="scheme")]


def _answer_bytes(answer: Answer) -> bytes:
    return canonical_json(answer.model_dump(mode="json"))


def seal_gold_answer(answer: Answer, verifier_public_key: str | bytes) -> bytes:
    """The answer as only the verifier can read it (ECIES, like a submission's key)."""
    recipient = public_key_bytes(verifier_public_key)
    return bytes(ecies.encrypt(recipient, _answer_bytes(answer), ECIES_CONFIG))


def open_gold_answer(sealed: bytes, verifier_private_key: bytes) -> Answer:
    try:
        plaintext = ecies.decrypt(verifier_private_key, sealed, ECIES_CONFIG)
    except (ValueError, TypeError):
        raise DecryptionFailed("this key does not open the gold answer") from None
    try:
        return _ANSWER.validate_json(plaintext)
    except ValidationError as error:
        raise DecryptionFailed(f"the gold answer is not a valid answer: {error}") from None


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def gold_hash(answer: Answer, salt: bytes) -> bytes:
    if len(salt) < 16:
        raise ValueError("a gold salt needs at least 16 random bytes")
    return hashlib.sha256(salt + _answer_bytes(answer)).digest()


def gold_matches(answer: Answer, salt: bytes, expected: bytes) -> bool:
    """Whether ``answer`` with ``salt`` is the hidden one (compared in constant time)."""
    return hmac.compare_digest(gold_hash(answer, salt), expected)
