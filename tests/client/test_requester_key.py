"""The requester's reading key derived from a wallet signature: the browser's derivation
(web/ts/requester_key.ts, run in Node) and the client library's give the same key; a dev
account's wallet signs the key message the same way twice (RFC 6979), so the key is the
same on every visit; the export file a browser writes is checked before the CLI trusts
it; and the derived key reads what workers seal and what the verifier publishes."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest
from web3 import Web3

from microtask.chain.accounts import dev_accounts
from microtask.client.errors import Refused
from microtask.client.requester_key import (
    PURPOSE,
    SECP256K1_ORDER,
    DerivedKey,
    derive_private_key,
    derive_with_account,
    derived_key_of,
    key_export,
    key_typed_data,
    parse_key_export,
)
from microtask.manifests import (
    ItemAnswer,
    NotARecipient,
    SubmissionAnswers,
    TaskManifest,
    open_submission,
    seal_submission,
)
from microtask.quality import ResultSet
from microtask.verifier.results import ResultContext, open_results, seal_results
from tests.conftest import REPO_ROOT
from tests.manifests.conftest import (
    CHAIN_ID,
    ESCROW,
    MANIFEST_CID,
    REQUESTER,
    STRANGER,
    WORKER,
    manifest_data,
)

OTHER_ESCROW = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"


def browser_derivation(signature: bytes, account: str, escrow: str = ESCROW) -> dict[str, Any]:
    """What web/ts/requester_key.ts makes of ``signature``, run in Node."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs Node 20+ (scripts/dev.sh checks for it)")
    if not (REPO_ROOT / "node_modules" / "esbuild").is_dir():
        pytest.fail("esbuild is missing from node_modules: run scripts/dev.sh shell")
    script = REPO_ROOT / "tests" / "client" / "js" / "requester_key.mjs"
    completed = subprocess.run(
        [node, str(script), str(CHAIN_ID), escrow, account, "0x" + signature.hex()],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def test_the_browser_and_the_client_library_derive_the_same_key() -> None:
    derived = derive_with_account(REQUESTER, chain_id=CHAIN_ID, escrow=ESCROW)
    browser = browser_derivation(derived.signature, REQUESTER.address)
    assert browser["typed_data"] == key_typed_data(CHAIN_ID, ESCROW, REQUESTER.address)
    assert browser["derived"] == "0x" + derived.private_key.hex()
    assert browser["private_key"] == "0x" + derived.private_key.hex()
    assert browser["public_key"] == derived.public_key
    assert browser["address"] == derived.address
    # the browser's export file is what the CLI imports, and it yields the same key
    assert parse_key_export(json.dumps(browser["export"])) == derived


def test_v_as_0_or_1_derives_the_same_key_in_both() -> None:
    derived = derive_with_account(REQUESTER, chain_id=CHAIN_ID, escrow=ESCROW)
    low_v = derived.signature[:64] + bytes([derived.signature[64] - 27])
    assert derive_private_key(low_v) == derived.private_key
    browser = browser_derivation(low_v, REQUESTER.address)
    assert browser["private_key"] == "0x" + derived.private_key.hex()
    assert browser["export"]["signature"] == "0x" + derived.signature.hex()


def test_the_key_is_not_the_account_key_and_differs_per_escrow_and_account() -> None:
    here = derive_with_account(REQUESTER, chain_id=CHAIN_ID, escrow=ESCROW)
    elsewhere = derive_with_account(REQUESTER, chain_id=CHAIN_ID, escrow=OTHER_ESCROW)
    other_chain = derive_with_account(REQUESTER, chain_id=CHAIN_ID + 1, escrow=ESCROW)
    someone_else = derive_with_account(STRANGER, chain_id=CHAIN_ID, escrow=ESCROW)
    keys = {k.private_key for k in (here, elsewhere, other_chain, someone_else)}
    assert len(keys) == 4
    assert here.private_key != bytes(REQUESTER.key)
    assert here.address != REQUESTER.address
    assert 0 < int.from_bytes(here.private_key, "big") < SECP256K1_ORDER


def test_the_wallet_is_shown_the_purpose() -> None:
    typed = key_typed_data(CHAIN_ID, ESCROW, REQUESTER.address)
    assert typed["domain"]["name"] == "microtask encryption key"
    assert typed["domain"]["verifyingContract"] == ESCROW
    assert typed["message"] == {"account": REQUESTER.address, "purpose": PURPOSE}


def test_a_dev_accounts_wallet_signs_the_key_message_the_same_way_twice(
    anvil_w3: Web3,
) -> None:
    """anvil's dev accounts sign as eth-account and browser wallets do (RFC 6979): the
    same signature each time, so the same key on each visit."""
    account = dev_accounts()[1]
    typed = json.dumps(key_typed_data(CHAIN_ID, ESCROW, account.address))
    signatures = []
    for _ in range(2):
        answer = anvil_w3.provider.make_request(
            "eth_signTypedData_v4",  # type: ignore[arg-type]
            [account.address, typed],
        )
        assert "error" not in answer, answer
        signatures.append(bytes.fromhex(str(answer["result"])[2:]))
    assert signatures[0] == signatures[1]
    from_wallet = derived_key_of(
        signatures[0], chain_id=CHAIN_ID, escrow=ESCROW, account=account.address
    )
    assert from_wallet == derive_with_account(account, chain_id=CHAIN_ID, escrow=ESCROW)


def test_a_signature_by_someone_else_is_refused() -> None:
    forged = derive_with_account(STRANGER, chain_id=CHAIN_ID, escrow=ESCROW).signature
    with pytest.raises(Refused, match="not 0x"):
        derived_key_of(forged, chain_id=CHAIN_ID, escrow=ESCROW, account=REQUESTER.address)
    with pytest.raises(Refused, match="65 bytes"):
        derived_key_of(forged[:64], chain_id=CHAIN_ID, escrow=ESCROW, account=REQUESTER.address)


def test_an_export_for_another_escrow_or_account_is_refused() -> None:
    derived = derive_with_account(REQUESTER, chain_id=CHAIN_ID, escrow=ESCROW)
    document = json.loads(key_export(derived))
    assert parse_key_export(key_export(derived)) == derived
    for field, value in [
        ("escrow", OTHER_ESCROW),
        ("account", STRANGER.address),
        ("chain_id", CHAIN_ID + 1),
    ]:
        with pytest.raises(Refused, match="signature is not"):
            parse_key_export(json.dumps({**document, field: value}))
    with pytest.raises(Refused, match="not JSON"):
        parse_key_export("0x" + derived.private_key.hex())
    with pytest.raises(Refused, match="not a microtask/requester-key"):
        parse_key_export(json.dumps({**document, "type": "something"}))


def test_neither_key_nor_signature_shows_in_its_repr() -> None:
    derived = derive_with_account(REQUESTER, chain_id=CHAIN_ID, escrow=ESCROW)
    shown = repr(derived) + str(derived)
    assert derived.private_key.hex() not in shown
    assert derived.signature.hex() not in shown
    assert derived.address in shown


def derived_manifest(derived: DerivedKey) -> TaskManifest:
    return TaskManifest.model_validate(manifest_data(requester_public_key=derived.public_key))


def test_the_derived_key_reads_submissions_and_the_account_key_does_not() -> None:
    derived = derive_with_account(REQUESTER, chain_id=CHAIN_ID, escrow=ESCROW)
    manifest = derived_manifest(derived)
    answers = SubmissionAnswers(
        answers=[
            ItemAnswer(item_id="photo-1", answer={"kind": "classification", "label": "cat"}),  # type: ignore[arg-type]
        ]
    )
    envelope = seal_submission(
        answers,
        manifest=manifest,
        manifest_cid=MANIFEST_CID,
        chain_id=CHAIN_ID,
        escrow=ESCROW,
        task_id=3,
        slot=0,
        worker=WORKER,
    )
    readers = {r.role: r.address for r in envelope.payload.recipients}
    assert readers["requester"] == derived.address
    opened = open_submission(envelope, derived.private_key, chain_id=CHAIN_ID, escrow=ESCROW)
    assert opened == answers
    with pytest.raises(NotARecipient):
        open_submission(envelope, bytes(REQUESTER.key), chain_id=CHAIN_ID, escrow=ESCROW)


def test_the_derived_key_reads_the_published_result_set() -> None:
    derived = derive_with_account(REQUESTER, chain_id=CHAIN_ID, escrow=ESCROW)
    context = ResultContext(
        chain_id=CHAIN_ID, escrow=ESCROW, task_id=3, requester=REQUESTER.address, run=1
    )
    results = ResultSet(jsonl=b'{"item_id":"photo-1"}\n', csv=b"item_id\nphoto-1\n", items=1)
    sealed = seal_results(
        results,
        context=context,
        requester_public_key=derived_manifest(derived).requester_public_key,
        method="majority",
        assessed_at=1_800_000_000,
    )
    assert open_results(sealed, derived.private_key) == results
    with pytest.raises(NotARecipient, match="cannot open this result set"):
        open_results(sealed, bytes(REQUESTER.key))
