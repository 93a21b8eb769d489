"""Fraud signals: too fast, copying, straight-lining, a slot that skips its item."""

from __future__ import annotations

import pytest

from microtask.manifests import ItemAnswer
from microtask.manifests.answers import Answer, FreeTextAnswer
from microtask.manifests.gold import gold_hash
from microtask.quality import (
    CopyingRule,
    GoldKey,
    StraightLiningRule,
    Submission,
    TimingRule,
    WorkerAnswer,
    copying,
    minimum_seconds,
    missing_items,
    straight_lining,
    too_fast,
    worker_answers,
)
from tests.quality.scenario import WORKERS, cls, envelope_cid, item_id, submission

ESTIMATE = 30
TIMING = TimingRule()  # at least 20% of the estimate per item (6 s here), never under 2 s
T0 = 1_700_000_000


def timed(worker: str, slot: int, started: int | None, seconds: int) -> Submission:
    start = T0 + (started or 0)
    return submission(
        worker,
        slot,
        cls("cat"),
        started_at=None if started is None else start,
        submitted_at=start + seconds,
    )


def test_minimum_seconds_is_a_share_of_the_estimate_with_a_floor() -> None:
    assert minimum_seconds(30, 1, TIMING) == 6
    assert minimum_seconds(30, 4, TIMING) == 24
    assert minimum_seconds(5, 1, TIMING) == 2  # 1 s would be under the floor
    assert minimum_seconds(7, 1, TIMING) == 2
    assert minimum_seconds(11, 1, TIMING) == 3  # 2.2 s rounds up


def test_a_slot_faster_than_the_minimum_is_flagged_and_one_at_it_is_not() -> None:
    signals = too_fast([timed("F", 0, 0, 5), timed("G1", 1, 0, 6)], ESTIMATE, TIMING)
    (signal,) = signals
    assert signal.signal == "too_fast"
    assert signal.code == "spam"
    assert signal.worker == WORKERS["F"].address
    assert signal.slots == (0,)
    assert signal.numbers == {"seconds": 5, "min_seconds": 6, "items": 1}
    assert signal.detail.startswith("slot 0 was submitted 5 s after it was started")


def test_many_slots_held_at_once_cannot_beat_one_person_s_pace() -> None:
    # four slots claimed together and submitted 7 s apart: 4 items in 28 s >= 4 x 6 s
    honest = [timed("G1", slot, 0, 7 * (slot + 1)) for slot in range(4)]
    assert too_fast(honest, ESTIMATE, TIMING) == []
    # the same four submitted within 20 s of the common claim: under 24 s, flagged
    hurried = [timed("G2", slot, 0, 8 + 4 * slot) for slot in range(4)]
    assert [s.submitted_at - T0 for s in hurried] == [8, 12, 16, 20]
    (signal,) = too_fast(hurried, ESTIMATE, TIMING)
    assert signal.slots == (0, 1, 2, 3)
    assert signal.numbers == {"seconds": 20, "min_seconds": 24, "items": 4}
    assert "4 items in 4 submissions within 20 s" in signal.detail


def test_the_pace_signal_names_only_slots_not_flagged_on_their_own() -> None:
    subs = [timed("F", 0, 0, 1), timed("F", 1, 0, 7), timed("F", 2, 0, 9)]
    signals = too_fast(subs, ESTIMATE, TIMING)
    assert [(s.slots, s.numbers["seconds"]) for s in signals] == [((0,), 1), ((1, 2), 9)]


def test_slots_without_a_known_start_are_not_timed() -> None:
    bunched = [timed("G1", slot, None, slot) for slot in range(5)]  # five in 4 s
    assert too_fast(bunched, ESTIMATE, TIMING) == []


def answers_of(table: dict[str, dict[int, Answer]]) -> list[WorkerAnswer]:
    """``{worker name: {item: answer}}`` as worker answers (slot = item + 20 x rank)."""
    rows = []
    for rank, (name, items) in enumerate(table.items()):
        for item, answer in items.items():
            rows.append(
                WorkerAnswer(
                    worker=WORKERS[name].address,
                    item_id=item_id(item),
                    answer=answer,
                    slot=item + 20 * rank,
                    submitted_at=0,
                )
            )
    return rows


TRUTH = ["cat", "dog", "bird", "fish", "horse", "cat"]


def test_a_pair_sharing_odd_answers_is_flagged_as_copying() -> None:
    odd = ["dog", "cat", "cat", "bird", "horse", "cat"]  # items 0-3 against the honest crowd
    table: dict[str, dict[int, Answer]] = {
        "G1": {i: cls(t) for i, t in enumerate(TRUTH)},
        "P1": {i: cls(a) for i, a in enumerate(odd)},
        "P2": {i: cls(a) for i, a in enumerate(odd)},
    }
    signals = copying(answers_of(table), CopyingRule())
    p1, p2 = WORKERS["P1"].address, WORKERS["P2"].address
    assert sorted((s.worker, s.other_worker) for s in signals) == sorted([(p1, p2), (p2, p1)])
    for signal in signals:
        assert signal.code == "duplicate"
        assert signal.numbers == {"shared_items": 6, "identical": 6, "unsupported": 4}
        assert len(signal.slots) == 6
        assert "identical to" in signal.detail
        assert "on 4 of them no other worker gave that answer" in signal.detail


def test_two_good_workers_who_agree_are_not_copying() -> None:
    table: dict[str, dict[int, Answer]] = {
        name: {i: cls(t) for i, t in enumerate(TRUTH)} for name in ("G1", "G2", "G3")
    }
    assert copying(answers_of(table), CopyingRule()) == []


def test_copying_needs_enough_shared_items_and_identical_answers() -> None:
    odd = ["dog", "cat", "cat", "bird"]
    pair: dict[str, dict[int, Answer]] = {
        "G1": {i: cls(t) for i, t in enumerate(TRUTH[:4])},
        "P1": {i: cls(a) for i, a in enumerate(odd)},
        "P2": {i: cls(a) for i, a in enumerate(odd)},
    }
    assert copying(answers_of(pair), CopyingRule(min_shared_items=5)) == []
    assert len(copying(answers_of(pair), CopyingRule(min_shared_items=4))) == 2
    pair["P2"][3] = cls("horse")  # 3 of 4 identical: 75% < 90%
    assert copying(answers_of(pair), CopyingRule(min_shared_items=4)) == []


def test_identical_wrong_gold_answers_count_as_odd() -> None:
    # only the pair answered: no crowd to compare with, but gold says they are wrong
    odd = ["dog", "cat", "cat", "bird"]
    table: dict[str, dict[int, Answer]] = {
        "P1": {i: cls(a) for i, a in enumerate(odd)},
        "P2": {i: cls(a) for i, a in enumerate(odd)},
    }
    assert copying(answers_of(table), CopyingRule()) == []
    gold = GoldKey(answers={item_id(i): cls(TRUTH[i]) for i in range(4)})
    (first, _) = copying(answers_of(table), CopyingRule(), gold)
    assert first.numbers["unsupported"] == 4


def test_identical_free_text_nobody_else_wrote_is_copying() -> None:
    texts = ["a red car parked", "two dogs playing", "an empty street", "a blue door"]
    table: dict[str, dict[int, Answer]] = {
        "P1": {i: FreeTextAnswer(text=t) for i, t in enumerate(texts)},
        "P2": {i: FreeTextAnswer(text=t.upper()) for i, t in enumerate(texts)},  # same words
        "G1": {i: FreeTextAnswer(text=f"my own words {i}") for i in range(4)},
    }
    assert len(copying(answers_of(table), CopyingRule())) == 2


def test_one_answer_to_items_whose_answers_vary_is_straight_lining() -> None:
    table: dict[str, dict[int, Answer]] = {
        "G1": {i: cls(t) for i, t in enumerate(TRUTH)},
        "G2": {i: cls(t) for i, t in enumerate(TRUTH)},
        "S": {i: cls("cat") for i in range(6)},
    }
    (signal,) = straight_lining(answers_of(table), StraightLiningRule())
    assert signal.worker == WORKERS["S"].address
    assert signal.code == "spam"
    assert signal.numbers == {
        "items": 6,
        "same": 6,
        "reference_values": 5,
        "matching_references": 2,
    }
    assert signal.detail.startswith("gave the same answer (label cat) to 6 of 6 items")
    assert "times likelier from answering the same regardless" in signal.detail


def test_one_answer_to_items_that_share_it_is_just_right() -> None:
    table: dict[str, dict[int, Answer]] = {
        "G1": {i: cls("cat") for i in range(6)},
        "G2": {i: cls("cat") for i in range(6)},
    }
    assert straight_lining(answers_of(table), StraightLiningRule()) == []


def test_straight_lining_needs_enough_items_and_a_known_variety() -> None:
    alone: dict[str, dict[int, Answer]] = {"S": {i: cls("cat") for i in range(6)}}
    assert straight_lining(answers_of(alone), StraightLiningRule()) == []  # nobody to compare
    gold = GoldKey(answers={item_id(i): cls(TRUTH[i]) for i in range(6)})
    assert len(straight_lining(answers_of(alone), StraightLiningRule(), gold)) == 1
    short: dict[str, dict[int, Answer]] = {
        "G1": {i: cls(t) for i, t in enumerate(TRUTH[:4])},
        "S": {i: cls("cat") for i in range(4)},
    }
    assert straight_lining(answers_of(short), StraightLiningRule()) == []
    assert len(straight_lining(answers_of(short), StraightLiningRule(min_items=4))) == 1


def test_hashed_gold_shows_variety_when_the_constant_answer_fails_it() -> None:
    salt = b"\x03" * 32
    hashes = {item_id(i): (salt, gold_hash(cls(TRUTH[i]), salt)) for i in range(6)}
    alone: dict[str, dict[int, Answer]] = {"S": {i: cls("cat") for i in range(6)}}
    (signal,) = straight_lining(answers_of(alone), StraightLiningRule(), GoldKey(hashes=hashes))
    assert signal.numbers["reference_values"] == 2  # "cat" and "not cat"


def test_a_nearly_constant_worker_passes_at_share_one_and_not_below() -> None:
    table: dict[str, dict[int, Answer]] = {
        "G1": {i: cls(t) for i, t in enumerate(TRUTH)},
        "S": {i: cls("cat" if i else "dog") for i in range(6)},
    }
    assert straight_lining(answers_of(table), StraightLiningRule()) == []
    (signal,) = straight_lining(answers_of(table), StraightLiningRule(min_same_share=0.8))
    assert signal.numbers["same"] == 5


def test_a_submission_that_skips_its_slot_s_item_is_incomplete() -> None:
    items = [item_id(i) for i in range(20)]
    right = submission("G1", 21, cls("cat"))  # slot 21 is item 1
    wrong = submission("G2", 22, cls("cat"), item=item_id(5))  # slot 22 is item 2
    (signal,) = missing_items([right, wrong], items)
    assert signal.code == "incomplete"
    assert signal.slots == (22,)
    assert "slot 22 is for item 'photo-02'" in signal.detail
    # and its answer to another item casts no vote
    assert [a.item_id for a in worker_answers([right, wrong], items)] == [item_id(1)]


def test_worker_answers_keep_one_answer_per_worker_and_item_the_latest() -> None:
    early = submission("G1", 3, cls("dog"), submitted_at=T0)
    late = submission("G1", 23, cls("cat"), submitted_at=T0 + 60)
    (kept,) = worker_answers([late, early], [item_id(i) for i in range(20)])
    assert kept.answer == cls("cat")
    assert kept.slot == 23


def test_a_submission_must_be_well_formed() -> None:
    answer = ItemAnswer(item_id=item_id(0), answer=cls("cat"))
    with pytest.raises(ValueError, match="started_at is after submitted_at"):
        Submission(
            slot=0, worker=WORKERS["G1"].address, answers=(answer,), started_at=5, submitted_at=4
        )
    with pytest.raises(ValueError, match="at most once"):
        Submission(
            slot=0,
            worker=WORKERS["G1"].address,
            answers=(answer, answer),
            submitted_at=4,
            cid=envelope_cid(0),
        )
