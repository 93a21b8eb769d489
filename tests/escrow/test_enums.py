"""The contract's enums in Python: every member, its number and its text, against the
Solidity source itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from microtask.escrow import FINAL_STATES, HELD_STATES, ApprovalBasis, ContractEnum, SlotState

INTERFACE = Path(__file__).parents[2] / "contracts" / "interfaces" / "ITaskEscrow.sol"


def solidity_enum(name: str) -> list[str]:
    """The members of ``enum name`` in ITaskEscrow.sol, in declaration order (= numbering)."""
    source = INTERFACE.read_text()
    found = re.search(rf"enum {name}\s*\{{(.*?)\}}", source, re.DOTALL)
    assert found is not None, f"enum {name} is not in {INTERFACE}"
    body = re.sub(r"//[^\n]*", "", found.group(1))
    return [member.strip() for member in body.split(",") if member.strip()]


def upper_snake(solidity: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", solidity).upper()


@pytest.mark.parametrize("enum", [SlotState, ApprovalBasis])
def test_each_enum_mirrors_the_contract_member_for_member(enum: type[ContractEnum]) -> None:
    members = solidity_enum(enum.__name__)
    assert [m.name for m in enum] == [upper_snake(m) for m in members]
    assert [m.code for m in enum] == list(range(len(members)))
    assert [m.value for m in enum] == [upper_snake(m).lower() for m in members]


def test_the_text_is_what_the_index_stores_and_the_api_shows() -> None:
    assert [s.value for s in SlotState] == [
        "open", "claimed", "submitted", "rejected", "disputed", "approved", "closed",
    ]  # fmt: skip
    assert [b.value for b in ApprovalBasis] == [
        "review", "silence", "arbitration", "arbitration_timeout", "equivocation",
    ]  # fmt: skip
    assert f"{SlotState.SUBMITTED}" == "submitted"
    assert SlotState("rejected") is SlotState.REJECTED


def test_numbers_from_the_chain_map_to_members_and_unknown_ones_are_refused() -> None:
    assert SlotState.from_code(2) is SlotState.SUBMITTED
    assert ApprovalBasis.from_code(3) is ApprovalBasis.ARBITRATION_TIMEOUT
    with pytest.raises(ValueError, match=r"7 is not an ITaskEscrow\.SlotState"):
        SlotState.from_code(7)
    with pytest.raises(ValueError, match="not a valid"):
        SlotState("pending")


def test_final_and_held_states_split_the_live_ones() -> None:
    assert (
        FINAL_STATES
        == {s for s in SlotState if s.final}
        == {
            SlotState.APPROVED,
            SlotState.CLOSED,
        }
    )
    assert {s for s in SlotState if s.held} == HELD_STATES
    assert set(SlotState) == FINAL_STATES | HELD_STATES | {SlotState.OPEN}
    assert not FINAL_STATES & HELD_STATES


def test_a_member_cannot_be_declared_without_its_number() -> None:
    with pytest.raises(TypeError, match=r"declared as \(text, code\)"):

        class Broken(ContractEnum):
            ONLY_TEXT = "only_text"


def test_the_packages_example_runs() -> None:
    import doctest

    import microtask.escrow

    result = doctest.testmod(microtask.escrow)
    assert result.attempted > 0
    assert result.failed == 0
