"""The escrow's domain, without I/O: what ``contracts/TaskEscrow.sol`` decides, in Python.

Its enums (with the contract's integers and the index's text), its constants, its values
(task parameters, a stored task, a slot, a worker's record) and the pure rules the contract
applies: fees and funding (`money`), windows (`windows`), slot states, claims and
finalization (`slots`), parties, reviewers and qualification (`roles`). Each rule is
written once, here, with the Solidity function it mirrors named in its docstring; the chain
client, the indexer, the API, the verifier, the CLI and the tests' model of the contract all
use it. Nothing here talks to a chain or a database, and nothing here imports the rest of
the package.

    >>> from microtask.escrow import SlotState, fee_of
    >>> fee_of(10**16, 250), fee_of(39, 250), SlotState.from_code(2), SlotState.SUBMITTED.code
    (250000000000000, 1, <SlotState.SUBMITTED: 'submitted'>, 2)
"""

from microtask.escrow.constants import (
    BPS,
    ETH,
    MAX_FEE_BPS,
    MAX_PERIOD,
    MAX_SLOTS,
    VERSION,
    ZERO_ADDRESS,
)
from microtask.escrow.enums import (
    FINAL_STATES,
    HELD_STATES,
    ApprovalBasis,
    ContractEnum,
    SlotState,
)
from microtask.escrow.money import approval_rate_bps, fee_of, funding_of, per_slot
from microtask.escrow.roles import (
    is_party,
    meets_approval_rate,
    meets_min_approved,
    qualifies,
    reviewers,
)
from microtask.escrow.slots import (
    Finalization,
    approvable,
    available_slots,
    claimable,
    finalization,
    is_receipt_slot,
    lapsed,
    slot_state,
    unused_receipt_slot,
    unused_receipt_slots,
)
from microtask.escrow.values import (
    Reputation,
    Slot,
    Task,
    TaskParams,
    TaskParamsStruct,
    abi_name,
)
from microtask.escrow.windows import (
    arbitration_end,
    dispute_end,
    equivocation_window_end,
    has_ended,
    is_open,
    lease_end,
    receipt_window_end,
    receipt_window_open,
    review_end,
    takes_claims,
    window_end,
)

__all__ = [
    "BPS",
    "ETH",
    "FINAL_STATES",
    "HELD_STATES",
    "MAX_FEE_BPS",
    "MAX_PERIOD",
    "MAX_SLOTS",
    "VERSION",
    "ZERO_ADDRESS",
    "ApprovalBasis",
    "ContractEnum",
    "Finalization",
    "Reputation",
    "Slot",
    "SlotState",
    "Task",
    "TaskParams",
    "TaskParamsStruct",
    "abi_name",
    "approvable",
    "approval_rate_bps",
    "arbitration_end",
    "available_slots",
    "claimable",
    "dispute_end",
    "equivocation_window_end",
    "fee_of",
    "finalization",
    "funding_of",
    "has_ended",
    "is_open",
    "is_party",
    "is_receipt_slot",
    "lapsed",
    "lease_end",
    "meets_approval_rate",
    "meets_min_approved",
    "per_slot",
    "qualifies",
    "receipt_window_end",
    "receipt_window_open",
    "review_end",
    "reviewers",
    "slot_state",
    "takes_claims",
    "unused_receipt_slot",
    "unused_receipt_slots",
    "window_end",
]
