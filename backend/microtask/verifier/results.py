"""The published result set: the aggregate of a task's answers, readable by its requester only.

The verifier puts a `SealedResultSet` on the content store after each assessment and
records its CID (``GET /tasks/{id}/results`` serves it). Its payload is the result set's
JSON Lines and CSV (`quality.ResultSet`), encrypted exactly as submissions are
(`manifests.sealing`: a fresh AES-256-GCM key, wrapped with ECIES for one recipient), and
the one recipient is the requester's public key from the manifest: the verifier that made
it cannot read it back, and neither can workers. The associated data binds the ciphertext
to chain, escrow, task and run, so a result set cannot pass for another task's.
"""

from __future__ import annotations

import json
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from microtask.encoding.canonical import canonical_json
from microtask.manifests.errors import DocumentInvalid, NotARecipient
from microtask.manifests.fields import Address, Base64Bytes, PublicKey, address_of_public_key
from microtask.manifests.problems import problems_of
from microtask.manifests.sealing import (
    NONCE_BYTES,
    TAG_BYTES,
    address_of_private_key,
    decrypt_payload,
    encrypt_payload,
    new_key,
    unwrap_key,
    wrap_key,
)
from microtask.quality import ResultSet

RESULT_SET_TYPE: Final = "microtask/result-set"
MAX_RESULT_BYTES: Final = 64 << 20


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ResultContext(_Strict):
    """Where a result set belongs; its ciphertext is bound to exactly this."""

    chain_id: int = Field(gt=0)
    escrow: Address
    task_id: int = Field(ge=0)
    requester: Address
    run: int = Field(ge=1, description="The assessment it comes from (1 for the first).")

    def associated_data(self) -> bytes:
        return canonical_json(self.model_dump(mode="json"))


class SealedResultSet(ResultContext):
    """A task's aggregated results, encrypted to its requester."""

    type: Literal["microtask/result-set"] = RESULT_SET_TYPE
    schema_version: Literal[1] = 1
    items: int = Field(ge=0)
    method: str | None = Field(description="How answers were combined (crowd-kit method).")
    assessed_at: int = Field(ge=0, description="Chain time of the assessment.")
    cipher: Literal["aes-256-gcm"] = "aes-256-gcm"
    nonce: Base64Bytes = Field(min_length=NONCE_BYTES, max_length=NONCE_BYTES)
    ciphertext: Base64Bytes = Field(min_length=TAG_BYTES, max_length=MAX_RESULT_BYTES)
    wrapped_key: Base64Bytes = Field(min_length=97, max_length=256)
    recipient_public_key: PublicKey

    def context(self) -> ResultContext:
        return ResultContext(
            chain_id=self.chain_id,
            escrow=self.escrow,
            task_id=self.task_id,
            requester=self.requester,
            run=self.run,
        )


def seal_results(
    results: ResultSet,
    *,
    context: ResultContext,
    requester_public_key: str,
    method: str | None,
    assessed_at: int,
) -> SealedResultSet:
    """``results`` encrypted to ``requester_public_key`` (the manifest's requester key: the
    account's own or one derived from its wallet, `client.requester_key`)."""
    plaintext = canonical_json(
        {"jsonl": results.jsonl.decode("utf-8"), "csv": results.csv.decode("utf-8")}
    )
    key = new_key()
    nonce, ciphertext = encrypt_payload(key, plaintext, context.associated_data())
    return SealedResultSet(
        **context.model_dump(),
        items=results.items,
        method=method,
        assessed_at=assessed_at,
        nonce=nonce,
        ciphertext=ciphertext,
        wrapped_key=wrap_key(key, requester_public_key),
        recipient_public_key=requester_public_key,
    )


def open_results(sealed: SealedResultSet, private_key: bytes) -> ResultSet:
    """The result set, decrypted with the requester's key; any other key is refused."""
    reader = address_of_private_key(private_key)
    if reader != address_of_public_key(sealed.recipient_public_key):
        raise NotARecipient(
            f"{reader} cannot open this result set; only the key of the requester "
            f"{sealed.requester} can ({address_of_public_key(sealed.recipient_public_key)})"
        )
    key = unwrap_key(sealed.wrapped_key, private_key)
    plaintext = decrypt_payload(
        key, sealed.nonce, sealed.ciphertext, sealed.context().associated_data()
    )
    try:
        body = json.loads(plaintext)
        return ResultSet(
            jsonl=str(body["jsonl"]).encode("utf-8"),
            csv=str(body["csv"]).encode("utf-8"),
            items=sealed.items,
        )
    except (ValueError, KeyError, TypeError):
        raise DocumentInvalid("result set", [("payload", "not a result set")]) from None


def parse_sealed_results(data: bytes) -> SealedResultSet:
    """A `SealedResultSet` from its JSON bytes (`DocumentInvalid` naming fields if not)."""
    try:
        return SealedResultSet.model_validate_json(data)
    except ValidationError as error:
        raise DocumentInvalid("result set", problems_of(error)) from None
