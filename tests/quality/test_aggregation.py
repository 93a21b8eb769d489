"""Aggregation per task kind with crowd-kit, confidences, and agreement with the aggregate."""

from __future__ import annotations

import pytest

from microtask.manifests.answers import (
    Answer,
    BoundingBoxesAnswer,
    Box,
    ClassificationAnswer,
    DataCheckAnswer,
    FreeTextAnswer,
    MultiLabelAnswer,
    SurveyAnswer,
    TaskKind,
    TranscriptionAnswer,
)
from microtask.manifests.gold import gold_hash
from microtask.quality import (
    AggregationRule,
    GoldKey,
    WorkerAnswer,
    aggregate,
    agreement,
    item_agreement,
    method_for,
    text_similarity,
)
from microtask.quality.compare import boxes_match, normalize_text

MAJORITY = AggregationRule(categorical="majority_vote")
ONE_COIN = AggregationRule(categorical="one_coin_dawid_skene")
FULL_DS = AggregationRule(categorical="dawid_skene")
DEFAULT = AggregationRule()


def rows(table: dict[str, dict[str, Answer]]) -> list[WorkerAnswer]:
    """``{item: {worker: answer}}`` as worker answers."""
    return [
        WorkerAnswer(worker=worker, item_id=item, answer=answer, slot=0, submitted_at=0)
        for item, answers in table.items()
        for worker, answer in answers.items()
    ]


def labels(item_answers: dict[str, str]) -> dict[str, Answer]:
    return {worker: ClassificationAnswer(label=label) for worker, label in item_answers.items()}


def test_majority_vote_confidence_is_the_vote_share() -> None:
    result = aggregate(
        TaskKind.CLASSIFICATION,
        rows(
            {
                "i1": labels({"a": "cat", "b": "cat", "c": "dog"}),
                "i2": labels({"a": "dog", "b": "dog", "c": "dog"}),
            }
        ),
        MAJORITY,
    )
    assert result["i1"].answer == ClassificationAnswer(label="cat")
    assert result["i1"].confidence == pytest.approx(2 / 3, abs=1e-6)
    assert result["i1"].agreeing == 2
    assert result["i1"].workers == ("a", "b", "c")
    assert result["i2"].confidence == 1.0
    assert result["i2"].method == "majority_vote"


def test_a_tie_goes_to_the_smallest_label_every_time() -> None:
    table = {"i1": labels({"a": "dog", "b": "cat"})}
    for _ in range(3):
        result = aggregate(TaskKind.CLASSIFICATION, rows(table), MAJORITY)
        assert result["i1"].answer == ClassificationAnswer(label="cat")
        assert result["i1"].confidence == 0.5


def crowd_table() -> dict[str, dict[str, Answer]]:
    """Ten items: careful workers a, b, c always say the truth; d is right on 2 of 10."""
    truth = ["cat", "dog", "bird"] * 3 + ["cat"]
    table: dict[str, dict[str, Answer]] = {}
    for n, label in enumerate(truth):
        wrong = "fish"
        table[f"i{n}"] = labels(
            {
                "a": label,
                "b": label,
                "c": label if n != 3 else wrong,
                "d": label if n < 2 else wrong,
            }
        )
    return table


@pytest.mark.parametrize(
    "rule", [MAJORITY, ONE_COIN, FULL_DS, DEFAULT], ids=lambda r: r.categorical
)
def test_every_categorical_method_finds_the_careful_majority(rule: AggregationRule) -> None:
    table = crowd_table()
    result = aggregate(TaskKind.CLASSIFICATION, rows(table), rule)
    for item, answers in table.items():
        if rule is FULL_DS and item == "i3":
            continue  # see the next test
        assert result[item].answer == answers["a"], item
        assert result[item].method == rule.categorical


def test_full_dawid_skene_overfits_a_label_one_item_gets_and_the_default_does_not() -> None:
    """On i3 two careful workers say cat, c says fish (their only slip) and d fish (as
    always): with ten items, the only "fish" item is where a free confusion matrix per
    worker can decide that c and d are right and a and b always miss fish. Full
    Dawid-Skene converges there (crowd-kit's stops early, before it does); pooling each
    worker toward the crowd's matrix, the default keeps the careful majority."""
    table = crowd_table()
    free = aggregate(TaskKind.CLASSIFICATION, rows(table), FULL_DS)
    pooled = aggregate(TaskKind.CLASSIFICATION, rows(table), DEFAULT)
    assert free["i3"].answer == ClassificationAnswer(label="fish")
    assert pooled["i3"].answer == ClassificationAnswer(label="cat")


def test_dawid_skene_is_surer_than_the_vote_share_of_reliable_workers() -> None:
    table = crowd_table()
    voted = aggregate(TaskKind.CLASSIFICATION, rows(table), MAJORITY)
    learned = aggregate(TaskKind.CLASSIFICATION, rows(table), ONE_COIN)
    assert voted["i5"].confidence == 0.75
    assert learned["i5"].confidence is not None
    assert learned["i5"].confidence > 0.95


def test_full_dawid_skene_takes_encrypted_gold_as_known_labels() -> None:
    # two workers split on i0; gold says dog, so dog wins there and its backer gains weight
    table = {
        "i0": labels({"a": "cat", "b": "dog"}),
        "i1": labels({"a": "cat", "b": "dog"}),
    }
    gold = GoldKey(answers={"i0": ClassificationAnswer(label="dog")})
    anchored = aggregate(TaskKind.CLASSIFICATION, rows(table), FULL_DS, gold)
    assert anchored["i0"].answer == ClassificationAnswer(label="dog")
    assert anchored["i0"].confidence == 1.0
    assert anchored["i1"].answer == ClassificationAnswer(label="dog")
    unanchored = aggregate(TaskKind.CLASSIFICATION, rows(table), FULL_DS)
    assert unanchored["i0"].confidence == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("rule", [FULL_DS, DEFAULT], ids=lambda r: r.categorical)
def test_gold_naming_a_label_nobody_gave_still_anchors(rule: AggregationRule) -> None:
    # crowd-kit's tables had no column for a label nobody gave, so such gold was dropped;
    # the label models here take every label the gold names
    table = {"i0": labels({"a": "cat", "b": "cat"}), "i1": labels({"a": "cat", "b": "dog"})}
    gold = GoldKey(answers={"i0": ClassificationAnswer(label="horse")})
    result = aggregate(TaskKind.CLASSIFICATION, rows(table), rule, gold)
    assert result["i0"].answer == ClassificationAnswer(label="horse")
    assert result["i0"].confidence == 1.0
    assert result["i0"].agreeing == 0


def test_salted_gold_anchors_through_the_answer_that_fits_its_hash() -> None:
    salt = b"\x05" * 32
    table = {"i0": labels({"a": "cat", "b": "dog"}), "i1": labels({"a": "cat", "b": "dog"})}
    hashed = GoldKey(hashes={"i0": (salt, gold_hash(ClassificationAnswer(label="dog"), salt))})
    result = aggregate(TaskKind.CLASSIFICATION, rows(table), FULL_DS, hashed)
    assert result["i0"].answer == ClassificationAnswer(label="dog")
    assert result["i0"].confidence == 1.0
    assert result["i1"].answer == ClassificationAnswer(label="dog")  # b is the careful one


def test_data_checks_aggregate_the_verdict_and_the_common_corrections() -> None:
    invalid = {"verdict": "invalid"}
    table: dict[str, dict[str, Answer]] = {
        "r1": {
            "a": DataCheckAnswer(**invalid, corrections={"city": "Paris"}),
            "b": DataCheckAnswer(**invalid, corrections={"city": "Paris", "zip": "75001"}),
            "c": DataCheckAnswer(**invalid, corrections={"city": "Lyon"}),
            "d": DataCheckAnswer(verdict="valid"),
        },
        "r2": {w: DataCheckAnswer(verdict="valid") for w in "abc"},
    }
    result = aggregate(TaskKind.DATA_CHECK, rows(table), MAJORITY)
    assert result["r1"].answer == DataCheckAnswer(
        verdict="invalid", corrections={"city": "Paris", "zip": "75001"}
    )
    assert result["r1"].confidence == 0.75
    assert result["r2"].answer == DataCheckAnswer(verdict="valid")


def test_multi_label_is_decided_label_by_label() -> None:
    def ml(*chosen: str) -> MultiLabelAnswer:
        return MultiLabelAnswer(labels=list(chosen))

    table: dict[str, dict[str, Answer]] = {
        "i1": {"a": ml("tree", "house"), "b": ml("house", "tree"), "c": ml("house")},
        "i2": {"a": ml(), "b": ml("car"), "c": ml()},
        "i3": {"a": ml("car"), "b": ml("car"), "c": ml("car")},
    }
    result = aggregate(TaskKind.MULTI_LABEL, rows(table), MAJORITY)
    assert result["i1"].answer == ml("house", "tree")
    assert result["i1"].confidence == pytest.approx(2 / 3, abs=1e-6)  # tree: 2 of 3
    assert result["i1"].agreeing == 2  # label order does not matter
    assert result["i2"].answer == ml()
    assert result["i3"].answer == ml("car")
    assert result["i3"].confidence == 1.0
    one_coin = aggregate(TaskKind.MULTI_LABEL, rows(table), ONE_COIN)
    assert {item: a.answer for item, a in one_coin.items()} == {
        item: a.answer for item, a in result.items()
    }


def test_rover_votes_transcriptions_word_by_word() -> None:
    table: dict[str, dict[str, Answer]] = {
        "clip-1": {
            "a": TranscriptionAnswer(text="the quick brown fox"),
            "b": TranscriptionAnswer(text="the quick brown fox"),
            "c": TranscriptionAnswer(text="a quick browne fox jumps"),
        },
        "clip-2": {
            "a": TranscriptionAnswer(text="hello world"),
            "b": TranscriptionAnswer(text="hello there world"),
            "c": TranscriptionAnswer(text="hello world"),
        },
    }
    result = aggregate(TaskKind.TRANSCRIPTION, rows(table), ONE_COIN)
    assert result["clip-1"].answer == TranscriptionAnswer(text="the quick brown fox")
    assert result["clip-1"].method == "rover"
    assert result["clip-1"].agreeing == 2
    expected = (1 + 1 + text_similarity("the quick brown fox", "a quick browne fox jumps")) / 3
    assert result["clip-1"].confidence == pytest.approx(expected, abs=1e-6)
    assert result["clip-2"].answer == TranscriptionAnswer(text="hello world")


def test_free_text_is_aggregated_the_same_way_and_empty_text_survives() -> None:
    table: dict[str, dict[str, Answer]] = {
        "q": {w: FreeTextAnswer(text="Red car") for w in "ab"},
        "e": {w: FreeTextAnswer(text="") for w in "ab"},
    }
    result = aggregate(TaskKind.FREE_TEXT, rows(table), ONE_COIN)
    assert result["q"].answer == FreeTextAnswer(text="Red car")
    assert result["q"].confidence == 1.0
    assert result["e"].answer == FreeTextAnswer(text="")


@pytest.mark.parametrize(
    ("kind", "answer"),
    [
        (TaskKind.BOUNDING_BOXES, BoundingBoxesAnswer(boxes=[])),
        (TaskKind.SURVEY, SurveyAnswer(responses={"q1": 3.0})),
    ],
)
def test_boxes_and_surveys_are_listed_but_not_aggregated(kind: TaskKind, answer: Answer) -> None:
    result = aggregate(kind, rows({"i": {"a": answer, "b": answer}}), ONE_COIN)
    assert result["i"].answer is None
    assert result["i"].confidence is None
    assert result["i"].method is None
    assert result["i"].answers == 2
    assert method_for(kind, ONE_COIN) is None


def test_an_answer_of_another_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="a free_text answer in a classification task"):
        aggregate(TaskKind.CLASSIFICATION, rows({"i": {"a": FreeTextAnswer(text="x")}}))


def test_nothing_to_aggregate_gives_nothing() -> None:
    assert aggregate(TaskKind.CLASSIFICATION, []) == {}


def test_agreement_counts_items_with_enough_other_answers() -> None:
    table = {
        "i1": labels({"a": "cat", "b": "cat", "c": "dog"}),
        "i2": labels({"a": "dog", "b": "dog", "c": "dog"}),
        "i3": labels({"a": "cat"}),  # nobody else: not compared
    }
    answers = rows(table)
    aggregates = aggregate(TaskKind.CLASSIFICATION, answers, MAJORITY)
    result = agreement(answers, aggregates)
    assert result["a"].compared == 2
    assert result["a"].score == 1.0
    assert result["c"].compared == 2
    assert result["c"].score == 0.5
    assert result["c"].disagreed == ("i1",)
    strict = agreement(answers, aggregates, min_other_answers=3)
    assert strict["a"].compared == 0
    assert strict["a"].score is None


def test_a_worker_left_out_of_the_aggregate_is_measured_against_the_others() -> None:
    table = {"i1": labels({"a": "cat", "b": "cat", "x": "dog"})}
    answers = rows(table)
    without_x = aggregate(
        TaskKind.CLASSIFICATION, [a for a in answers if a.worker != "x"], MAJORITY
    )
    result = agreement(answers, without_x)
    assert result["x"].compared == 1
    assert result["x"].score == 0.0
    assert result["a"].compared == 1  # one other answer (b) behind the aggregate


def test_item_agreement_per_kind() -> None:
    assert item_agreement(ClassificationAnswer(label="a"), ClassificationAnswer(label="a")) == 1
    assert item_agreement(ClassificationAnswer(label="a"), ClassificationAnswer(label="b")) == 0
    assert item_agreement(
        MultiLabelAnswer(labels=["a", "b"]), MultiLabelAnswer(labels=["b", "c"])
    ) == pytest.approx(1 / 3)
    assert item_agreement(MultiLabelAnswer(labels=[]), MultiLabelAnswer(labels=[])) == 1
    assert item_agreement(
        TranscriptionAnswer(text="one two three four"), TranscriptionAnswer(text="one two four")
    ) == pytest.approx(0.75)
    assert (
        item_agreement(
            DataCheckAnswer(verdict="valid"), DataCheckAnswer(verdict="valid", corrections={})
        )
        == 1
    )


def test_text_helpers() -> None:
    assert normalize_text("  Main\tSt.  ") == "main st."
    assert text_similarity("", "") == 1.0
    assert text_similarity("a b", "") == 0.0
    assert text_similarity("The cat", "the  CAT") == 1.0
    box = Box(label="x", x=0, y=0, width=0.5, height=0.5)
    assert boxes_match([box], [box])
    assert boxes_match([], [])
    assert not boxes_match([box], [])
