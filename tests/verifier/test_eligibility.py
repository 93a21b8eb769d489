"""Who the verifier grants a slot to: qualifications, the escrow's record thresholds, the
requester's lists; and the same qualifications in ``GET /tasks?eligible_for=``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from microtask.api import create_app
from microtask.chain.devchain import latest_timestamp
from microtask.db.verifier_models import VerifierWorkerTask
from microtask.manifests import TaskManifest
from microtask.verifier import NotEligible, Policy, TaskClosed
from microtask.verifier.typed_data import VerifierCommand, payload_hash
from tests.quality.scenario import REQUESTER, WORKERS, manifest_data
from tests.verifier.conftest import Platform

EXPERT, NOVICE, SLOPPY = WORKERS["G1"], WORKERS["G2"], WORKERS["R"]


def scored(platform: Platform, worker: str, checked: int, correct: int) -> None:
    """A past assessment of ``worker`` on another task (as the verifier records them)."""
    with Session(platform.verifier.writer) as session, session.begin():
        session.add(
            VerifierWorkerTask(
                task_id=10_000, worker=worker, kind="classification", gold_checked=checked,
                gold_correct=correct, agreement_items=0, agreement_sum=0.0, slots=checked,
                approved=checked, rejected=0, undecided=0, assessed_at=1,
            )
        )  # fmt: skip


def test_qualifications_decide_who_gets_a_slot_and_who_sees_the_task(platform: Platform) -> None:
    qualified = manifest_data(
        items=3,
        redundancy=1,
        qualifications=[{"name": "classification-accuracy", "min_score": 0.9}],
    )
    task_id, _ = platform.post(TaskManifest.model_validate(qualified))
    scored(platform, EXPERT.address, 20, 19)  # 95%
    scored(platform, SLOPPY.address, 20, 12)  # 60%
    granted = platform.request(EXPERT, task_id)
    assert granted.task_id == task_id
    with pytest.raises(NotEligible, match="classification-accuracy: 60%, the task asks for 90%"):
        platform.request(SLOPPY, task_id)
    with pytest.raises(NotEligible, match="classification-accuracy: no score yet"):
        platform.request(NOVICE, task_id)
    platform.indexer.worker.run_once()  # the manifest's qualifications into the index
    app = create_app(platform.settings, network="local", content=platform.store)
    with TestClient(app) as api:
        for worker, visible in ((EXPERT, True), (SLOPPY, False), (NOVICE, False)):
            page = api.get("/tasks", params={"eligible_for": worker.address}).json()
            assert (task_id in [t["task_id"] for t in page["data"]]) is visible, worker


def test_the_escrows_record_thresholds_apply_to_gasless_slots_too(platform: Platform) -> None:
    task_id, _ = platform.post(
        TaskManifest.model_validate(manifest_data(items=3, redundancy=1)), min_approved=1
    )
    with pytest.raises(NotEligible, match="asks for 1 approved slots"):
        platform.request(EXPERT, task_id)


def test_an_allow_list_admits_only_the_listed_and_a_newer_policy_replaces_it(
    platform: Platform,
) -> None:
    task_id, _ = platform.post(TaskManifest.model_validate(manifest_data(items=3, redundancy=1)))

    def policy(chosen: Policy, issued_at: int) -> None:
        command = VerifierCommand(0, "policy", payload_hash(chosen.canonical()), issued_at)
        signature = command.sign(REQUESTER, platform.chain_id, platform.escrow)
        platform.verifier.set_policy(REQUESTER.address, 0, chosen, issued_at, signature)

    now = latest_timestamp(platform.w3)
    policy(Policy(allow=[EXPERT.address]), now)  # for all the requester's tasks
    with pytest.raises(NotEligible, match="only from workers they chose"):
        platform.request(NOVICE, task_id)
    assert platform.request(EXPERT, task_id).task_id == task_id
    policy(Policy(block=[EXPERT.address]), now + 1)
    assert platform.request(NOVICE, task_id).task_id == task_id


HTML_FORM = (
    "<HTMLQuestion><HTMLContent><![CDATA[<form><input name='answer'/></form>]]></HTMLContent>"
    "<FrameHeight>300</FrameHeight></HTMLQuestion>"
)


def form_manifest(**changes: object) -> TaskManifest:
    """A one-item `form` task (an MTurk HIT), five assignments."""
    return TaskManifest.model_validate(
        manifest_data(
            kind="form",
            answer_schema={"kind": "form", "question": HTML_FORM},
            items=1,
            redundancy=5,
            **changes,
        )
    )


def set_task_policy(platform: Platform, task_id: int, chosen: Policy, issued_at: int) -> None:
    command = VerifierCommand(task_id, "policy", payload_hash(chosen.canonical()), issued_at)
    signature = command.sign(REQUESTER, platform.chain_id, platform.escrow)
    platform.verifier.set_policy(REQUESTER.address, task_id, chosen, issued_at, signature)


def test_qualifications_the_requester_grants_are_checked_against_the_policys_values(
    platform: Platform,
) -> None:
    requirement = {
        "type_id": "3QUALITY",
        "name": "Trusted annotator",
        "comparator": "GreaterThanOrEqualTo",
        "values": [80],
    }
    task_id, _ = platform.post(form_manifest(requester_qualifications=[requirement]))
    with pytest.raises(NotEligible, match="Trusted annotator at least 80"):
        platform.request(EXPERT, task_id)  # no values yet: nobody holds it
    values = {"3QUALITY": {EXPERT.address: 95, SLOPPY.address: 40}}
    set_task_policy(
        platform, task_id, Policy(qualification_values=values), platform.verifier.clock()
    )
    assert platform.request(EXPERT, task_id).task_id == task_id
    with pytest.raises(NotEligible, match="a qualification the requester grants"):
        platform.request(SLOPPY, task_id)
    with pytest.raises(NotEligible, match="Trusted annotator at least 80"):
        platform.request(NOVICE, task_id)


def test_a_task_that_waits_for_its_policy_hands_out_no_slot_before_it(platform: Platform) -> None:
    task_id, _ = platform.post(form_manifest(waits_for_policy=True))
    with pytest.raises(TaskClosed, match="opens once its requester has set its policy"):
        platform.request(EXPERT, task_id)
    set_task_policy(platform, task_id, Policy(block=[SLOPPY.address]), platform.verifier.clock())
    assert platform.request(EXPERT, task_id).task_id == task_id
    with pytest.raises(NotEligible, match="does not accept your work"):
        platform.request(SLOPPY, task_id)


def test_a_newer_policy_takes_effect_at_once_and_a_tasks_own_replaces_the_default(
    platform: Platform,
) -> None:
    """Policies are parsed once per process but read every time: the newest one stored
    is the one in force."""
    task_id, _ = platform.post(form_manifest())
    other_id, _ = platform.post(form_manifest())
    now = platform.verifier.clock()
    set_task_policy(platform, 0, Policy(block=[SLOPPY.address]), now)  # the default
    with pytest.raises(NotEligible, match="does not accept your work"):
        platform.request(SLOPPY, task_id)
    set_task_policy(platform, task_id, Policy(block=[NOVICE.address]), now)  # the task's own
    with pytest.raises(NotEligible, match="does not accept your work"):
        platform.request(NOVICE, task_id)
    assert platform.request(SLOPPY, task_id).task_id == task_id  # the default no longer counts
    with pytest.raises(NotEligible, match="does not accept your work"):
        platform.request(SLOPPY, other_id)  # but still does for the requester's other tasks
    # a newer policy of the task replaces the one parsed and kept for it
    set_task_policy(platform, task_id, Policy(allow=[EXPERT.address]), now + 1)
    with pytest.raises(NotEligible, match="only from workers they chose"):
        platform.request(NOVICE, task_id)
    assert platform.request(EXPERT, task_id).task_id == task_id
