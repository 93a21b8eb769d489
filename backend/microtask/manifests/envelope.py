"""Submission envelopes: a worker's answers, readable only by the requester and verifier.

The envelope is what a worker puts on IPFS (its CID goes on chain or into the signed
receipt flow). Its plaintext is a `SubmissionAnswers` document; inside the envelope that
is only ciphertext (see `sealing`). In the clear are what the indexer and the contract need:
chain, escrow, task, slot, manifest, worker, when, and who can read it. The worker signs
all of that with EIP-712 (`typed_data.SUBMISSION`): the signature covers the envelope's
hash, which covers the ciphertext and the wrapped keys.

The ciphertext's associated data is the same context, so answers copied into another
worker's envelope (or another slot's) no longer decrypt: nobody can hand in someone
else's work as their own without the recipients noticing.
"""

from __future__ import annotations

import time
from typing import Final, Literal

from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from pydantic import Field, ValidationError, model_validator

from microtask.encoding.canonical import canonical_json
from microtask.encoding.eip712 import recover, sign
from microtask.manifests.answers import Answer, Strict, check_answer
from microtask.manifests.errors import (
    DocumentInvalid,
    DocumentTooLarge,
    NotARecipient,
    SignatureInvalid,
)
from microtask.manifests.fields import (
    Address,
    Base64Bytes,
    CidText,
    HexBytes,
    Identifier,
    Uint256,
    address_of_public_key,
)
from microtask.manifests.limits import MAX_ANSWERS, MAX_ANSWERS_BYTES
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
from microtask.manifests.task import InlineInputs, TaskManifest
from microtask.manifests.typed_data import submission_message

SUBMISSION_ENVELOPE_TYPE: Final = "microtask/submission-envelope"
SUBMISSION_ANSWERS_TYPE: Final = "microtask/submission-answers"

Role = Literal["requester", "verifier"]


class ItemAnswer(Strict):
    item_id: Identifier
    answer: Answer


class SubmissionAnswers(Strict):
    """The plaintext of a submission: one answer per item of the slot's work."""

    type: Literal["microtask/submission-answers"] = SUBMISSION_ANSWERS_TYPE
    schema_version: Literal[1] = 1
    answers: list[ItemAnswer] = Field(min_length=1, max_length=MAX_ANSWERS)
    note: str | None = Field(default=None, max_length=2_000, description="To the requester.")

    @model_validator(mode="after")
    def _distinct(self) -> SubmissionAnswers:
        ids = [answer.item_id for answer in self.answers]
        if len(set(ids)) != len(ids):
            raise ValueError("each item is answered at most once")
        return self


class WrappedKey(Strict):
    """The payload key, encrypted to one recipient (ECIES on secp256k1)."""

    role: Role
    address: Address
    wrapped_key: Base64Bytes = Field(min_length=97, max_length=256)


class SealedPayload(Strict):
    cipher: Literal["aes-256-gcm"] = "aes-256-gcm"
    nonce: Base64Bytes = Field(min_length=NONCE_BYTES, max_length=NONCE_BYTES)
    ciphertext: Base64Bytes = Field(min_length=TAG_BYTES, max_length=MAX_ANSWERS_BYTES + TAG_BYTES)
    recipients: list[WrappedKey] = Field(min_length=1, max_length=2)

    @model_validator(mode="after")
    def _one_per_role(self) -> SealedPayload:
        roles = [recipient.role for recipient in self.recipients]
        if len(set(roles)) != len(roles):
            raise ValueError("one wrapped key per role")
        if "requester" not in roles:
            raise ValueError("the requester must be a recipient")
        return self


class SubmissionContext(Strict):
    """Where a submission belongs; its ciphertext is bound to exactly this."""

    chain_id: int = Field(gt=0)
    escrow: Address
    task_id: Uint256
    slot: Uint256
    manifest: CidText
    worker: Address

    def associated_data(self) -> bytes:
        """The AES-GCM associated data: the context's canonical JSON."""
        return canonical_json(self.model_dump(mode="json"))


class UnsignedEnvelope(Strict):
    """Everything the worker signs: the envelope without its signature."""

    type: Literal["microtask/submission-envelope"] = SUBMISSION_ENVELOPE_TYPE
    schema_version: Literal[1] = 1
    chain_id: int = Field(gt=0)
    escrow: Address
    task_id: Uint256
    slot: Uint256
    manifest: CidText
    worker: Address
    submitted_at: int = Field(ge=0, description="Unix seconds, as the worker's clock says.")
    payload: SealedPayload

    def envelope_hash(self) -> bytes:
        """keccak256 of the canonical JSON of every field but the signature."""
        return keccak(canonical_json(self.model_dump(mode="json", exclude={"signature"})))

    def context(self) -> SubmissionContext:
        return SubmissionContext(
            chain_id=self.chain_id,
            escrow=self.escrow,
            task_id=self.task_id,
            slot=self.slot,
            manifest=self.manifest,
            worker=self.worker,
        )


class SubmissionEnvelope(UnsignedEnvelope):
    signature: HexBytes = Field(min_length=65, max_length=65)


def check_submission(manifest: TaskManifest, answers: SubmissionAnswers) -> None:
    """Raise `DocumentInvalid` naming each answer that does not fit the manifest."""
    problems: list[tuple[str, str]] = []
    known = (
        {item.id for item in manifest.inputs.items}
        if isinstance(manifest.inputs, InlineInputs)
        else None
    )
    for index, item in enumerate(answers.answers):
        if known is not None and item.item_id not in known:
            problems.append((f"answers.{index}.item_id", f"no input item {item.item_id!r}"))
        try:
            check_answer(manifest.answer_schema, item.answer)
        except ValueError as error:
            problems.append((f"answers.{index}.answer", str(error)))
    if problems:
        raise DocumentInvalid("submission answers", problems)


def seal_submission(
    answers: SubmissionAnswers,
    *,
    manifest: TaskManifest,
    manifest_cid: str,
    chain_id: int,
    escrow: str,
    task_id: int,
    slot: int,
    worker: LocalAccount,
    submitted_at: int | None = None,
) -> SubmissionEnvelope:
    """Encrypt ``answers`` to the manifest's recipients and sign the envelope as ``worker``."""
    check_submission(manifest, answers)
    plaintext = canonical_json(answers.model_dump(mode="json"))
    if len(plaintext) > MAX_ANSWERS_BYTES:
        raise DocumentTooLarge(
            f"the answers are {len(plaintext)} bytes; at most {MAX_ANSWERS_BYTES} per submission"
        )
    context = SubmissionContext(
        chain_id=chain_id,
        escrow=escrow,
        task_id=task_id,
        slot=slot,
        manifest=manifest_cid,
        worker=worker.address,
    )
    key = new_key()
    nonce, ciphertext = encrypt_payload(key, plaintext, context.associated_data())
    recipients = [
        WrappedKey(
            role=role,
            address=address_of_public_key(public_key),
            wrapped_key=wrap_key(key, public_key),
        )
        for role, public_key in manifest.recipients()
    ]
    # fields as the models hold them (`dict(model)`), not dumped and validated again:
    # the nested payload is a model already, so it is taken as it is
    unsigned = UnsignedEnvelope(
        **dict(context),
        submitted_at=int(time.time()) if submitted_at is None else submitted_at,
        payload=SealedPayload(nonce=nonce, ciphertext=ciphertext, recipients=recipients),
    )
    message = submission_message(
        chain_id=chain_id,
        escrow=unsigned.escrow,
        task_id=task_id,
        slot=slot,
        worker=worker.address,
        envelope_hash=unsigned.envelope_hash(),
    )
    return SubmissionEnvelope(**dict(unsigned), signature=sign(worker, message))


def verify_envelope(envelope: SubmissionEnvelope, *, chain_id: int, escrow: str) -> None:
    """Raise `SignatureInvalid` unless the named worker signed this envelope for this escrow."""
    if envelope.chain_id != chain_id or envelope.escrow.lower() != escrow.lower():
        raise SignatureInvalid(
            f"the envelope was made for chain {envelope.chain_id} and escrow {envelope.escrow}, "
            f"not chain {chain_id} and escrow {escrow}"
        )
    message = submission_message(
        chain_id=envelope.chain_id,
        escrow=envelope.escrow,
        task_id=envelope.task_id,
        slot=envelope.slot,
        worker=envelope.worker,
        envelope_hash=envelope.envelope_hash(),
    )
    try:
        signer = recover(message, envelope.signature)
    except ValueError:
        raise SignatureInvalid("the envelope's signature is malformed") from None
    if signer != envelope.worker:
        raise SignatureInvalid(
            f"the envelope is signed by {signer}, not by its worker {envelope.worker} "
            "(or it was changed after signing)"
        )


def open_submission(
    envelope: SubmissionEnvelope,
    private_key: bytes,
    *,
    chain_id: int,
    escrow: str,
    manifest: TaskManifest | None = None,
) -> SubmissionAnswers:
    """Check the signature, then decrypt with a recipient's key; any other key is refused."""
    verify_envelope(envelope, chain_id=chain_id, escrow=escrow)
    address = address_of_private_key(private_key)
    recipient = next((r for r in envelope.payload.recipients if r.address == address), None)
    if recipient is None:
        readers = ", ".join(f"{r.role} {r.address}" for r in envelope.payload.recipients)
        raise NotARecipient(f"{address} cannot open this submission; only {readers} can")
    key = unwrap_key(recipient.wrapped_key, private_key)
    payload = envelope.payload
    associated = envelope.context().associated_data()
    plaintext = decrypt_payload(key, payload.nonce, payload.ciphertext, associated)
    try:
        answers = SubmissionAnswers.model_validate_json(plaintext)
    except ValidationError as error:
        raise DocumentInvalid("submission answers", problems_of(error)) from None
    if manifest is not None:
        check_submission(manifest, answers)
    return answers
