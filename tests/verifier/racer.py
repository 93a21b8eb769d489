"""One verifier-serving process for `test_across_processes`: a real `VerifierService` of
its own (its own engines, its own clock read from the index) over the test's database,
answering a list of signed slot requests and then handing in an envelope for each slot it
granted, as the API's worker processes do.

It speaks JSON lines on stdin and stdout: it reads its spec, prints ``ready``, and at each
``go`` runs a phase (claims in threads, then submissions in threads) and prints what each
request or submission got. Run as ``python -m tests.verifier.racer`` from the repository.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from eth_account import Account
from web3 import HTTPProvider, Web3

from microtask.chain.deployments import DeploymentRecord
from microtask.content import LocalStore
from microtask.manifests import ItemAnswer, SubmissionAnswers, TaskManifest, seal_submission
from microtask.manifests.answers import ClassificationAnswer
from microtask.verifier import SlotRequest, VerifierError, VerifierService
from tests.quality.scenario import VERIFIER

THREADS = 6


def claim(service: VerifierService, job: dict[str, Any]) -> dict[str, Any]:
    request = SlotRequest(**job["request"])
    try:
        grant = service.request_slot(request, bytes.fromhex(job["signature"]))
    except VerifierError as refused:
        return {"index": job["index"], "refused": type(refused).__name__, "why": str(refused)}
    return {
        "index": job["index"],
        "slot": grant.slot,
        "worker": grant.worker,
        "item_id": grant.item_id,
        "replayed": grant.replayed,
    }


def submit(
    service: VerifierService,
    store: LocalStore,
    manifest: TaskManifest,
    spec: dict[str, Any],
    job: dict[str, Any],
    grant: dict[str, Any],
) -> dict[str, Any]:
    worker = Account.from_key(job["key"])
    answer = ItemAnswer(item_id=grant["item_id"], answer=ClassificationAnswer(label="cat"))
    envelope = seal_submission(
        SubmissionAnswers(answers=[answer]),
        manifest=manifest,
        manifest_cid=spec["manifest_cid"],
        chain_id=service.chain_id,
        escrow=service.escrow,
        task_id=spec["task_id"],
        slot=grant["slot"],
        worker=worker,
    )  # sealing is randomised: the other process's envelope for this slot differs
    cid = str(store.add_json(envelope.model_dump(mode="json")))
    try:
        issued = service.submit(spec["task_id"], grant["slot"], cid)
    except VerifierError as refused:
        return {"slot": grant["slot"], "refused": type(refused).__name__, "why": str(refused)}
    return {
        "slot": grant["slot"],
        "worker": issued.receipt.worker,
        "envelope_cid": issued.envelope_cid,
        "signature": issued.signature.hex(),
    }


def main() -> None:
    spec = json.loads(sys.stdin.readline())
    w3 = Web3(HTTPProvider(spec["rpc"]))
    record = DeploymentRecord.model_validate(spec["record"])
    store = LocalStore(Path(spec["content"]), fsync=False)
    service = VerifierService(
        w3=w3, record=record, account=VERIFIER, database_url=spec["database_url"], content=store
    )  # no loop (`start` is not called): it serves requests only, as an API worker does
    manifest = TaskManifest.model_validate(spec["manifest"])
    jobs = {job["index"]: job for job in spec["jobs"]}
    print("ready", flush=True)
    with ThreadPoolExecutor(THREADS) as pool:
        sys.stdin.readline()
        claims = list(pool.map(lambda job: claim(service, job), spec["jobs"]))
        print(json.dumps(claims), flush=True)
        sys.stdin.readline()
        granted = [(jobs[c["index"]], c) for c in claims if "slot" in c]
        submissions = list(
            pool.map(lambda pair: submit(service, store, manifest, spec, *pair), granted)
        )
        print(json.dumps(submissions), flush=True)
    service.close()
    store.close()


if __name__ == "__main__":
    main()
