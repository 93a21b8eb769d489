"""The library's pure helpers (no key, no chain): what a web server builds for a browser to
sign, or checks for a worker; amounts; review batches; exports; the receipts store's files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from microtask.chain.accounts import dev_accounts
from microtask.client import ReceiptStore, Refused, Token, read_manifest_file
from microtask.client.answers import answers_csv, answers_jsonl
from microtask.client.errors import (
    ManifestUnreadable,
    NoAnswerForItem,
    NoSubmission,
    ReceiptStoreCorrupt,
)
from microtask.client.manifests import complete_manifest
from microtask.client.receipts import EnforcementStep, enforcement_step
from microtask.client.results import SubmittedAnswer
from microtask.client.reviews import (
    REASON_CODES,
    check_dispute_reason,
    check_reason_code,
    check_ruling,
    rejection_batch,
)
from microtask.client.verifier_requests import (
    REQUEST_LIFETIME,
    answers_for_item,
    assess_body,
    assess_command,
    claim_body,
    policy_body,
    policy_command,
    policy_of,
    slot_request,
)
from microtask.errors import UserError
from microtask.escrow import ZERO_ADDRESS, Slot, SlotState
from microtask.manifests import ItemAnswer, SubmissionAnswers
from microtask.manifests.answers import ClassificationAnswer
from microtask.manifests.sealing import public_key_of
from microtask.verifier import ANY_SLOT, VerifierCommand
from tests.client.conftest import manifest_document

WORKER, REQUESTER = dev_accounts()[3], dev_accounts()[1]
ESCROW = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CID = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"


def test_amounts_are_exact_in_the_tokens_units() -> None:
    dusd = Token("0x" + "11" * 20, "dUSD", 6)
    assert (dusd.parse("1.5"), dusd.format(1_500_000), dusd.format(10**6)) == (
        1_500_000,
        "1.5 dUSD",
        "1 dUSD",
    )
    with pytest.raises(UserError, match="more than 6 decimal places"):
        dusd.parse("0.0000001")
    with pytest.raises(UserError, match="not an amount"):
        dusd.parse("-1")
    assert Token.eth().is_eth
    assert not dusd.is_eth


def test_a_slot_request_is_built_without_a_key_and_signed_by_the_worker() -> None:
    request = slot_request(2, None, worker=WORKER.address, now=1_000)
    assert (request.slot, request.expiry) == (ANY_SLOT, 1_000 + REQUEST_LIFETIME)
    signature = request.sign(WORKER, 31337, ESCROW)
    body = claim_body(request, signature)
    assert body["signature"] == "0x" + signature.hex()
    assert request.signer(bytes.fromhex(body["signature"][2:]), 31337, ESCROW) == WORKER.address
    assert slot_request(2, 4, worker=WORKER.address, now=0).nonce != request.nonce


def test_policy_and_assess_commands_carry_what_the_requester_signed() -> None:
    policy = policy_of(allow=None, block=[WORKER.address])
    command = policy_command(7, policy, issued_at=123)
    signature = command.sign(REQUESTER, 31337, ESCROW)
    body = policy_body(command, policy, requester=REQUESTER.address, signature=signature)
    assert (body["task_id"], body["issued_at"], body["policy"]["block"]) == (
        7,
        123,
        [WORKER.address],
    )
    assert command.signer(signature, 31337, ESCROW) == REQUESTER.address
    assess = assess_command(7, issued_at=124)
    assert assess_body(assess, b"\x01" * 65) == {"issued_at": 124, "signature": "0x" + "01" * 65}
    assert isinstance(assess, VerifierCommand)
    with pytest.raises(Refused, match="invalid policy"):
        policy_of(block=[WORKER.address, WORKER.address])


def test_the_answer_to_one_item_out_of_many() -> None:
    many = SubmissionAnswers(
        answers=[
            ItemAnswer(item_id=item, answer=ClassificationAnswer(label="pos"))
            for item in ("r0", "r1")
        ],
        note="both",
    )
    one = answers_for_item(many, "r1")
    assert ([a.item_id for a in one.answers], one.note) == (["r1"], "both")
    with pytest.raises(NoAnswerForItem, match="no answer for item 'r9'"):
        answers_for_item(many, "r9")


def test_a_rejection_batch_has_one_review_per_slot_citing_its_submission() -> None:
    batch = rejection_batch(
        3,
        [(1, WORKER.address), (2, WORKER.address)],
        {1: CID, 2: CID},
        reviewer=REQUESTER.address,
        reason="spam",
        detail="copied",
        reviewed_at=9,
    )
    assert [(r.slot, r.submission, r.reasons[0].code) for r in batch.reviews] == [
        (1, CID, "spam"),
        (2, CID, "spam"),
    ]
    with pytest.raises(NoSubmission, match="no submission CID for slot 4"):
        rejection_batch(
            3, [(4, WORKER.address)], {}, reviewer=REQUESTER.address, reason="spam", reviewed_at=9
        )
    assert check_reason_code("other") == "other"
    assert "incorrect" in REASON_CODES
    with pytest.raises(Refused):
        check_reason_code("rude")
    assert check_dispute_reason("why") == b"why"
    assert (check_ruling(True, ""), check_ruling(False, "no")) == (None, b"no")


def test_answers_export_as_csv_and_json_lines() -> None:
    rows = [
        SubmittedAnswer(
            0, WORKER.address, "r0", {"kind": "multi_label", "labels": ["a", "b"]}, CID, 5
        ),
        SubmittedAnswer(1, WORKER.address, "r1", {"kind": "classification", "label": "x"}, CID, 6),
    ]
    lines = answers_csv(rows).splitlines()
    assert lines[0] == "slot,worker,item_id,label,labels,envelope_cid,submitted_at"
    assert lines[1] == f'0,{WORKER.address},r0,,"[""a"", ""b""]",{CID},5'
    assert lines[2] == f"1,{WORKER.address},r1,x,,{CID},6"
    first = json.loads(answers_jsonl(rows).splitlines()[0])
    assert (first["slot"], first["answer"]["labels"]) == (0, ["a", "b"])


def test_a_manifest_file_is_read_completed_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    with pytest.raises(ManifestUnreadable, match="cannot read"):
        read_manifest_file(path)
    path.write_text("[1]")
    with pytest.raises(ManifestUnreadable, match="must hold a JSON object"):
        read_manifest_file(path)
    path.write_text(json.dumps(manifest_document(2)))
    document = read_manifest_file(path)
    key = "0x" + public_key_of(bytes(REQUESTER.key)).hex()  # from the browser's wallet
    with pytest.raises(Refused, match="needs requester_public_key"):
        complete_manifest(document, requester=REQUESTER.address, requester_public_key=None)
    manifest = complete_manifest(
        {**document, "requester_public_key": key},
        requester=REQUESTER.address.lower(),
        requester_public_key=None,
    )
    assert (manifest.requester, manifest.requester_public_key, manifest.slot_count) == (
        REQUESTER.address,
        key,
        2,
    )


def test_the_receipts_store_keeps_the_files_it_always_kept(tmp_path: Path) -> None:
    store = ReceiptStore(tmp_path, "local", ESCROW, WORKER.address)
    expected = (
        tmp_path
        / "receipts"
        / "local"
        / ESCROW.lower()
        / WORKER.address.lower()
        / "task-2-slot-4.json"
    )
    assert store.path(2, 4) == expected
    # a file as `microtask work claim --gasless` wrote it before the library existed
    expected.parent.mkdir(parents=True)
    expected.write_text(json.dumps({"task_id": 2, "slot": 4, "item_id": "r4", "lease_end": 99}))
    kept = store.load(2, 4)
    assert kept is not None
    assert (kept.task_id, kept.slot, kept.item_id, kept.lease_end, kept.receipt) == (
        2,
        4,
        "r4",
        99,
        None,
    )
    store.save(2, 1, {"task_id": 2, "slot": 1, "receipt": {"signature": "0x"}})
    assert json.loads(store.path(2, 1).read_text()) == {
        "receipt": {"signature": "0x"},
        "slot": 1,
        "task_id": 2,
    }
    assert [(k.task_id, k.slot) for k in store.all()] == [(2, 1), (2, 4)]
    assert store.load(3, 0) is None
    store.path(3, 0).write_text("{not json")
    with pytest.raises(ReceiptStoreCorrupt, match="is not JSON"):
        store.load(3, 0)
    assert len(store.all()) == 2  # the broken file is skipped in listings


def test_what_enforcing_a_receipt_does_next() -> None:
    """Present while the slot is open; wait out the review period (its last second
    included); then finalize; nothing for a slot settled or someone else's."""
    me, other = WORKER.address, REQUESTER.address
    open_slot = Slot(SlotState.OPEN, ZERO_ADDRESS, 0)
    submitted = Slot(SlotState.SUBMITTED, me, 1_000)
    assert enforcement_step(open_slot, me, 100, 5_000) == EnforcementStep("present")
    assert enforcement_step(submitted, me.lower(), 100, 1_100) == EnforcementStep("wait", 1_100)
    assert enforcement_step(submitted, me, 100, 1_101) == EnforcementStep("finalize", 1_100)
    assert enforcement_step(submitted, other, 100, 1_101) == EnforcementStep("none")
    approved = Slot(SlotState.APPROVED, me, 0)
    assert enforcement_step(approved, me, 100, 9_999) == EnforcementStep("none")
