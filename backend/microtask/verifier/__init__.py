"""The verifier: gasless work through signed receipts, automatic quality control, settlement.

A task may name a verifier: an account that may sign receipts and approve or reject on the
requester's behalf. This package is that verifier as a service. It lets workers work
without gas (a signed request reserves a receipt slot; a checked submission earns an
EIP-712 receipt the worker can enforce on chain), judges every submission of its tasks with
`microtask.quality`, settles the decisions on chain in batches, and publishes the
aggregated results sealed to the requester.

It reads the index (tasks, slots, assignments, accounts: the indexer is their only writer)
and writes only its own tables (`microtask.db.verifier_models`); it talks to the chain
(its clock, slot states, its transactions) and the content store. Its HTTP routes live in
`microtask.api.routes.verifier`, mounted into the API under `microtask up` or served by
`microtask verifier`.

- `typed_data`: what workers (`SlotRequest`) and requesters (`VerifierCommand`) sign;
- `policy`: a requester's allow and block lists, quality rule and gold salts;
- `tasks`: a task's terms (index) and manifest (content store), and whether it is ours;
- `claims`: slot requests checked and granted;
- `receipts`: submissions checked and receipted;
- `assessment`: opening, judging and recording; `results`: the sealed result set;
- `settlement`: batches on chain, each exactly once across crashes;
- `clock`: chain time; `service`: all of it, and the loop.
"""

from microtask.verifier.claims import Grant
from microtask.verifier.errors import (
    BadSignature,
    NoSlot,
    NotEligible,
    NotThisVerifier,
    Replayed,
    RequestInvalid,
    SettlementError,
    SubmissionRefused,
    TaskClosed,
    UnknownTask,
    VerifierError,
)
from microtask.verifier.policy import Policy
from microtask.verifier.receipts import IssuedReceipt
from microtask.verifier.results import SealedResultSet, open_results, parse_sealed_results
from microtask.verifier.service import TaskReport, VerifierService
from microtask.verifier.typed_data import ANY_SLOT, SlotRequest, VerifierCommand

__all__ = [
    "ANY_SLOT",
    "BadSignature",
    "Grant",
    "IssuedReceipt",
    "NoSlot",
    "NotEligible",
    "NotThisVerifier",
    "Policy",
    "Replayed",
    "RequestInvalid",
    "SealedResultSet",
    "SettlementError",
    "SlotRequest",
    "SubmissionRefused",
    "TaskClosed",
    "TaskReport",
    "UnknownTask",
    "VerifierCommand",
    "VerifierError",
    "VerifierService",
    "open_results",
    "parse_sealed_results",
]
