"""An envelope is opened once per process: the assessment takes what the hand-in check
opened (and what an earlier assessment opened), for the same envelope, task, slot, worker
and manifest only, and gets exactly what opening it again would give."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from microtask.content import LocalStore
from microtask.manifests import TaskManifest
from microtask.manifests.answers import ClassificationAnswer
from microtask.quality import Submission
from microtask.verifier import assessment
from microtask.verifier.opened import OpenedSubmissions, OpeningSeal
from microtask.verifier.tasks import TaskContext
from tests.quality.scenario import WORKERS, item_id, manifest_data
from tests.verifier.conftest import Platform

ANSWERS = {item_id(i): ClassificationAnswer(label="cat") for i in range(3)}
HANDS = [WORKERS["G1"], WORKERS["G2"], WORKERS["G3"]]


def three_receipts(platform: Platform) -> tuple[TaskContext, list[assessment.SubmittedWork]]:
    manifest = TaskManifest.model_validate(manifest_data(items=3, redundancy=1))
    task_id, cid = platform.post(manifest)
    for worker in HANDS:
        platform.work(worker, task_id, manifest, cid, ANSWERS)
    context = platform.verifier.context(task_id)
    with platform.verifier.reads() as session:
        works = assessment.submitted_work(session, task_id)
    return context, works


def open_with(
    platform: Platform,
    context: TaskContext,
    works: list[assessment.SubmittedWork],
    store: LocalStore,
    kept: OpenedSubmissions | None,
    *,
    key: bytes | None = None,
    seal: OpeningSeal | None = None,
) -> tuple[list[Submission], list[assessment.Unopened]]:
    """`assessment.open_work` as the verifier (``key``: the platform verifier's) runs it."""
    opened, unopened = assessment.open_work(
        context,
        works,
        store=store,
        verifier_key=key if key is not None else bytes(platform.verifier.account.key),
        chain_id=platform.chain_id,
        escrow=platform.escrow,
        kept=kept,
        seal=seal,
    )
    return list(opened), unopened


def test_the_assessment_takes_what_the_hand_in_opened(platform: Platform, tmp_path: Path) -> None:
    context, works = three_receipts(platform)
    assert len(works) == 3
    assert len(platform.verifier.opened) == 3
    fresh, none = open_with(platform, context, works, platform.store, None)
    assert len(fresh) == 3
    assert none == []
    empty = LocalStore(tmp_path / "empty", fsync=False)  # a store without the envelopes
    kept, none = open_with(platform, context, works, empty, platform.verifier.opened)
    assert kept == fresh
    assert none == []
    unkept, missing = open_with(platform, context, works, empty, None)
    assert unkept == []
    assert [u.retry for u in missing] == [True, True, True]


def test_an_opening_is_taken_only_for_the_same_slot_worker_and_manifest(
    platform: Platform, tmp_path: Path
) -> None:
    context, works = three_receipts(platform)
    empty = LocalStore(tmp_path / "empty", fsync=False)
    kept = platform.verifier.opened
    others = [
        replace(works[0], worker=HANDS[1].address),
        replace(works[0], slot=works[1].slot),
        replace(works[0], envelope_cid=works[1].envelope_cid),
    ]
    opened, unopened = open_with(platform, context, others, empty, kept)
    assert opened == []
    assert len(unopened) == 3
    other_manifest = replace(context, terms=replace(context.terms, manifest_cid="bafyother"))
    opened, unopened = open_with(platform, other_manifest, works, empty, kept)
    assert opened == []
    assert len(unopened) == 3


def test_an_assessment_keeps_what_it_opened_and_not_what_it_could_not(
    platform: Platform, tmp_path: Path
) -> None:
    context, works = three_receipts(platform)
    restarted = platform.restart_verifier()  # a new process: nothing opened yet
    assert len(restarted.opened) == 0
    unusable = replace(works[0], worker=HANDS[1].address)  # the envelope names another
    opened, unopened = open_with(
        platform, context, [*works, unusable], platform.store, restarted.opened
    )
    assert len(opened) == 3
    assert [u.work for u in unopened] == [unusable]
    assert len(restarted.opened) == 3
    empty = LocalStore(tmp_path / "empty", fsync=False)
    again, none = open_with(platform, context, works, empty, restarted.opened)
    assert again == opened
    assert none == []
    # a slot whose row says other times gets them (the answers stay the envelope's)
    later = [replace(work, submitted_at=work.submitted_at + 5) for work in works]
    moved, _ = open_with(platform, context, later, empty, restarted.opened)
    assert [s.submitted_at for s in moved] == [w.submitted_at for w in later]
    assert [s.answers for s in moved] == [s.answers for s in opened]


def test_another_process_reads_the_sealed_openings_and_only_for_their_own_slot(
    platform: Platform, tmp_path: Path
) -> None:
    context, works = three_receipts(platform)
    assert all(work.sealed is not None for work in works)
    for work in works:  # never the answers in the clear
        assert work.sealed is not None
        assert b"cat" not in work.sealed
    fresh, _ = open_with(platform, context, works, platform.store, None)
    restarted = platform.restart_verifier()  # another process: nothing in its memory
    empty = LocalStore(tmp_path / "empty", fsync=False)
    opened, none = open_with(
        platform,
        context,
        works,
        empty,
        restarted.opened,
        key=bytes(restarted.account.key),
        seal=restarted.opening_seal,
    )
    assert opened == fresh  # not one envelope fetched
    assert none == []
    assert len(restarted.opened) == 3
    # sealed answers moved to another slot, or sealed by another key, do not open: the
    # envelope is opened instead (here: not on this store, so left for the next round)
    moved = [replace(works[0], sealed=works[1].sealed), replace(works[1], sealed=b"\0" * 60)]
    stranger = OpeningSeal(bytes(32 * [7]))
    opened, unopened = open_with(
        platform,
        context,
        [*moved, works[2]],
        empty,
        OpenedSubmissions(),
        key=bytes(restarted.account.key),
        seal=stranger,
    )
    assert opened == []
    assert [u.retry for u in unopened] == [True, True, True]
    opened, unopened = open_with(
        platform,
        context,
        moved,
        empty,
        OpenedSubmissions(),
        key=bytes(restarted.account.key),
        seal=restarted.opening_seal,
    )
    assert opened == []
    assert len(unopened) == 2
