"""Submission envelopes: each recipient reads them, nobody else does, and nothing moves."""

from __future__ import annotations

import shutil
import subprocess
from unittest.mock import patch

import ecies
import ecies.keys.helper
import ecies.utils.symmetric
import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import given, settings
from hypothesis import strategies as st

from microtask.encoding.eip712 import domain, recover, sign
from microtask.manifests import (
    DecryptionFailed,
    DocumentInvalid,
    ItemAnswer,
    NotARecipient,
    SignatureInvalid,
    SubmissionAnswers,
    SubmissionEnvelope,
    TaskManifest,
    open_submission,
    parse_document,
    seal_submission,
)
from microtask.manifests.sealing import (
    ECIES_CONFIG,
    _ecies_encrypt,
    _recipient_point,
    public_key_of,
    unwrap_key,
    wrap_key,
)
from microtask.manifests.typed_data import submission_message
from tests.conftest import REPO_ROOT
from tests.manifests.conftest import (
    CHAIN_ID,
    ESCROW,
    MANIFEST_CID,
    REQUESTER,
    STRANGER,
    VERIFIER,
    WORKER,
    manifest_data,
    public_key,
)

CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

ANSWERS = SubmissionAnswers(
    answers=[
        ItemAnswer(item_id="photo-1", answer={"kind": "classification", "label": "cat"}),  # type: ignore[arg-type]
        ItemAnswer(item_id="photo-2", answer={"kind": "classification", "label": "dog"}),  # type: ignore[arg-type]
    ],
    note="the second one was hard",
)


def seal(
    manifest: TaskManifest, worker: LocalAccount = WORKER, slot: int = 4
) -> SubmissionEnvelope:
    return seal_submission(
        ANSWERS,
        manifest=manifest,
        manifest_cid=MANIFEST_CID,
        chain_id=CHAIN_ID,
        escrow=ESCROW,
        task_id=7,
        slot=slot,
        worker=worker,
        submitted_at=1_800_000_000,
    )


def open_as(envelope: SubmissionEnvelope, reader: LocalAccount) -> SubmissionAnswers:
    return open_submission(envelope, reader.key, chain_id=CHAIN_ID, escrow=ESCROW)


@pytest.mark.parametrize("reader", [REQUESTER, VERIFIER], ids=["requester", "verifier"])
def test_each_recipient_opens_the_submission(manifest: TaskManifest, reader: LocalAccount) -> None:
    envelope = seal(manifest)
    assert (
        open_submission(envelope, reader.key, chain_id=CHAIN_ID, escrow=ESCROW, manifest=manifest)
        == ANSWERS
    )


def test_a_third_key_is_refused(manifest: TaskManifest) -> None:
    envelope = seal(manifest)
    with pytest.raises(NotARecipient, match=f"{STRANGER.address} cannot open"):
        open_as(envelope, STRANGER)
    with pytest.raises(NotARecipient):
        open_as(envelope, WORKER)  # not even the worker who sealed it
    # and a stranger who pretends to be the requester gets nothing from the wrapped key
    requester_copy = envelope.payload.recipients[0]
    with pytest.raises(DecryptionFailed):
        unwrap_key(requester_copy.wrapped_key, STRANGER.key)


def test_without_a_verifier_only_the_requester_reads() -> None:
    manifest = TaskManifest.model_validate(manifest_data(verifier=None, verifier_public_key=None))
    envelope = seal(manifest)
    assert [r.role for r in envelope.payload.recipients] == ["requester"]
    assert open_as(envelope, REQUESTER) == ANSWERS
    with pytest.raises(NotARecipient):
        open_as(envelope, VERIFIER)


def test_the_plaintext_is_not_in_the_envelope(manifest: TaskManifest) -> None:
    text = seal(manifest).model_dump_json()
    for secret in ("photo-1", "cat", "dog", "hard"):
        assert secret not in text


def test_the_envelope_survives_json_and_ipfs_style_round_trips(manifest: TaskManifest) -> None:
    envelope = seal(manifest)
    parsed = parse_document(envelope.model_dump_json().encode())
    assert isinstance(parsed, SubmissionEnvelope)
    assert parsed == envelope
    assert open_as(parsed, REQUESTER) == ANSWERS


def test_the_signature_binds_task_slot_and_escrow(manifest: TaskManifest) -> None:
    envelope = seal(manifest)
    for changes in ({"slot": 5}, {"task_id": 8}, {"submitted_at": 1}, {"worker": STRANGER.address}):
        moved = envelope.model_copy(update=changes)
        with pytest.raises(SignatureInvalid, match="changed after signing"):
            open_as(moved, REQUESTER)
    with pytest.raises(SignatureInvalid, match="made for chain"):
        open_submission(envelope, REQUESTER.key, chain_id=1, escrow=ESCROW)
    with pytest.raises(SignatureInvalid, match="made for chain"):
        open_submission(envelope, REQUESTER.key, chain_id=CHAIN_ID, escrow=STRANGER.address)


def test_altered_ciphertext_is_caught(manifest: TaskManifest) -> None:
    envelope = seal(manifest)
    flipped = bytearray(envelope.payload.ciphertext)
    flipped[0] ^= 1
    payload = envelope.payload.model_copy(update={"ciphertext": bytes(flipped)})
    with pytest.raises(SignatureInvalid):
        open_as(envelope.model_copy(update={"payload": payload}), REQUESTER)


def test_copied_work_does_not_decrypt_under_another_worker(manifest: TaskManifest) -> None:
    """A stranger re-signs someone else's payload as their own: the AES-GCM binding refuses."""
    original = seal(manifest)
    stolen = original.model_copy(update={"worker": STRANGER.address})
    message = submission_message(
        chain_id=CHAIN_ID,
        escrow=ESCROW,
        task_id=stolen.task_id,
        slot=stolen.slot,
        worker=STRANGER.address,
        envelope_hash=stolen.envelope_hash(),
    )
    resigned = stolen.model_copy(update={"signature": sign(STRANGER, message)})
    with pytest.raises(DecryptionFailed, match="another task, slot or worker"):
        open_as(resigned, REQUESTER)


def test_answers_that_do_not_fit_the_manifest_are_not_sealed(manifest: TaskManifest) -> None:
    wrong = SubmissionAnswers(
        answers=[ItemAnswer(item_id="photo-9", answer={"kind": "classification", "label": "cow"})]  # type: ignore[arg-type]
    )
    with pytest.raises(DocumentInvalid) as caught:
        seal_submission(
            wrong, manifest=manifest, manifest_cid=MANIFEST_CID, chain_id=CHAIN_ID,
            escrow=ESCROW, task_id=1, slot=0, worker=WORKER,
        )  # fmt: skip
    assert caught.value.problems == [
        ("answers.0.item_id", "no input item 'photo-9'"),
        ("answers.0.answer", "unknown label 'cow'"),
    ]


def test_the_signature_is_plain_eip712_from_the_worker(manifest: TaskManifest) -> None:
    envelope = seal(manifest)
    message = submission_message(
        chain_id=CHAIN_ID,
        escrow=ESCROW,
        task_id=7,
        slot=4,
        worker=WORKER.address,
        envelope_hash=envelope.envelope_hash(),
    )
    assert recover(message, envelope.signature) == WORKER.address


def test_the_domain_is_the_escrows() -> None:
    assert domain(CHAIN_ID, ESCROW.lower()) == {
        "name": "microtask",
        "version": "1",
        "chainId": CHAIN_ID,
        "verifyingContract": ESCROW,
    }
    with pytest.raises(ValueError, match="chain id"):
        domain(0, ESCROW)


def _eciesjs(*args: str) -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs Node 20+ (scripts/dev.sh checks for it)")
    if not (REPO_ROOT / "node_modules" / "eciesjs").is_dir():
        pytest.fail("eciesjs is missing from node_modules: run scripts/dev.sh shell")
    script = REPO_ROOT / "tests" / "manifests" / "js" / "ecies.mjs"
    completed = subprocess.run(
        [node, str(script), *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def test_wrapped_keys_interoperate_with_eciesjs() -> None:
    """A browser wallet app using eciesjs reads our wrapped keys, and we read its."""
    key = bytes(range(32))
    ours = wrap_key(key, public_key_of(REQUESTER.key))
    assert bytes.fromhex(_eciesjs("decrypt", REQUESTER.key.hex(), ours.hex())) == key
    theirs = bytes.fromhex(_eciesjs("encrypt", public_key_of(VERIFIER.key).hex(), key.hex()))
    assert unwrap_key(theirs, VERIFIER.key) == key


@settings(max_examples=25, deadline=None)
@given(
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=16, max_size=16),
    st.sampled_from([REQUESTER, VERIFIER, STRANGER]),
)
def test_wrapped_keys_are_the_bytes_eciespy_writes_for_the_same_randomness(
    key: bytes, ephemeral: bytes, nonce: bytes, recipient: LocalAccount
) -> None:
    """`wrap_key` composes ECIES itself (coincurve, HMAC's HKDF, pycryptodome's AES);
    given eciespy's randomness it writes ``ecies.encrypt``'s bytes exactly, and eciespy
    and `unwrap_key` open them."""
    if not 0 < int.from_bytes(ephemeral, "big") < CURVE_ORDER:
        return  # not a secp256k1 secret: neither side draws it
    public = public_key_of(recipient.key)
    ours = _ecies_encrypt(_recipient_point(public), key, ephemeral, nonce)
    with (
        patch.object(ecies.keys.helper, "get_random_bytes", lambda size: ephemeral),
        patch.object(ecies.utils.symmetric.os, "urandom", lambda size: nonce),
    ):
        theirs = ecies.encrypt(public, key, ECIES_CONFIG)
    assert ours == theirs
    assert ecies.decrypt(bytes(recipient.key), ours, ECIES_CONFIG) == key
    assert unwrap_key(ours, recipient.key) == key


def test_each_wrapping_draws_fresh_randomness_and_opens_only_for_its_recipient() -> None:
    key = bytes(range(32))
    first, second = (wrap_key(key, public_key(REQUESTER)) for _ in range(2))
    assert first[:65] != second[:65]  # a fresh ephemeral key
    assert first[65:81] != second[65:81]  # and a fresh nonce
    assert unwrap_key(first, REQUESTER.key) == unwrap_key(second, REQUESTER.key) == key
    with pytest.raises(DecryptionFailed):
        unwrap_key(first, STRANGER.key)
    with pytest.raises(ValueError, match="not a point"):
        wrap_key(key, "0x04" + "11" * 64)
