"""From sealed envelopes to an assessment: the path the verifier service takes."""

from __future__ import annotations

import pytest

from microtask.manifests import (
    ItemAnswer,
    SubmissionAnswers,
    TaskManifest,
    open_submission,
    seal_submission,
)
from microtask.manifests.answers import FreeTextAnswer
from microtask.quality import Assessment, GoldKey, QualityError, Submission, assess
from tests.quality.scenario import (
    VERIFIER,
    WORKERS,
    cls,
    encrypted_gold,
    envelope_cid,
    item_id,
    manifest_data,
    submission,
)

CHAIN_ID = 31337
ESCROW = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
MANIFEST_CID = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
T0 = 1_700_000_000


def test_opened_envelopes_are_assessed() -> None:
    manifest = TaskManifest.model_validate(
        manifest_data(
            items=4, gold=encrypted_gold({item_id(0): cls("cat"), item_id(1): cls("dog")})
        )
    )
    truth = ["cat", "dog", "bird", "fish"]
    plan = {"G1": truth, "G2": truth, "R": ["fish", "fish", "cat", "dog"]}
    submissions: list[Submission] = []
    for rank, (name, said) in enumerate(plan.items()):
        for item, label in enumerate(said):
            slot = item + 4 * rank
            envelope = seal_submission(
                SubmissionAnswers(answers=[ItemAnswer(item_id=item_id(item), answer=cls(label))]),
                manifest=manifest,
                manifest_cid=MANIFEST_CID,
                chain_id=CHAIN_ID,
                escrow=ESCROW,
                task_id=9,
                slot=slot,
                worker=WORKERS[name],
                submitted_at=0,  # the worker's clock: not used
            )
            opened = open_submission(
                envelope, VERIFIER.key, chain_id=CHAIN_ID, escrow=ESCROW, manifest=manifest
            )
            submissions.append(
                Submission.opened(
                    envelope,
                    opened,
                    started_at=T0 + 100 * slot,
                    submitted_at=T0 + 100 * slot + 40,
                    cid=envelope_cid(slot),
                )
            )
    assert submissions[5].slot == 5
    assert submissions[5].worker == WORKERS["G2"].address
    assert submissions[5].seconds == 40
    key = GoldKey.from_manifest(manifest, verifier_private_key=VERIFIER.key)
    assessment = assess(manifest, submissions, gold=key)
    assert isinstance(assessment, Assessment)
    outcome = {d.slot: d.outcome for d in assessment.decisions}
    assert [outcome[s] for s in range(8)] == ["approve"] * 8
    assert [outcome[s] for s in range(8, 12)] == ["reject"] * 4
    # one accuracy check weighs gold and agreement; its reason says gold failed
    assert [r.code for r in assessment.decision(8).reasons] == ["gold_failed"]
    assert assessment.decision(8).submission == envelope_cid(8)


def test_answers_that_do_not_fit_the_manifest_are_refused_up_front() -> None:
    manifest = TaskManifest.model_validate(manifest_data(items=2))
    unknown = [submission("G1", 0, cls("zebra"))]
    with pytest.raises(QualityError, match="slot 0, item 'photo-00': unknown label 'zebra'"):
        assess(manifest, unknown)
    other_kind = [submission("G1", 0, FreeTextAnswer(text="a cat"))]
    with pytest.raises(QualityError, match="a free_text answer to a classification task"):
        assess(manifest, other_kind)
    twice = [submission("G1", 0, cls("cat")), submission("G2", 0, cls("dog"))]
    with pytest.raises(QualityError, match="two submissions for slot 0"):
        assess(manifest, twice)


def test_a_task_with_nothing_submitted_has_nothing_to_decide() -> None:
    manifest = TaskManifest.model_validate(manifest_data(items=2))
    assessment = assess(manifest, [])
    assert assessment.decisions == ()
    assert assessment.aggregates == {}
    assert assessment.results().items == 2  # both items listed, unanswered
