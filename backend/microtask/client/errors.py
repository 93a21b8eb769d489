"""What the client library raises, as part of the package's exception tree.

Every error here is a `ClientError`; the ones the caller can fix by asking differently are
also `UserError` (the CLI prints them as one line and exits 1), the ones caused by
something outside the request are also `EnvironmentProblem` (exit 3). Each cause has its
own class, with the facts as attributes, so a front end can catch exactly what it handles
and word it its own way; the message (``str(error)``) is the CLI's wording.

Example::

    try:
        worker.withdraw(token)
    except NothingToWithdraw as empty:
        print(f"nothing yet in {empty.token.symbol}")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from microtask.errors import EnvironmentProblem, MicrotaskError, UserError

if TYPE_CHECKING:
    from microtask.client.tokens import Token


class ClientError(MicrotaskError):
    """Root of the client library's errors."""


class Refused(ClientError, UserError):
    """The request cannot be done as asked (a generic refusal; subclasses name the cause)."""


class SignerRequired(Refused):
    """A party opened with an address only (no key) was asked to sign."""

    def __init__(self, address: str, action: str) -> None:
        super().__init__(f"{action} needs {address}'s key: open the client with a signer")
        self.address = address
        self.action = action


class TaskNotFound(Refused, LookupError):
    """No task with this id exists on the network."""

    def __init__(self, task_id: int, network: str) -> None:
        super().__init__(f"task {task_id} does not exist on {network}")
        self.task_id = task_id
        self.network = network


class ManifestUnreadable(Refused):
    """A manifest (on chain, or in a file) cannot be read or is not a manifest."""


class InsufficientFunds(Refused):
    """The wallet cannot pay what the task escrows; nothing was sent."""

    def __init__(self, token: Token, needed: int, available: int) -> None:
        super().__init__(
            f"not enough {token.symbol}: the task needs {token.format(needed)}, "
            f"you have {token.format(available)}"
        )
        self.token = token
        self.needed = needed
        self.available = available


class VerifierMismatch(Refused):
    """A gasless task names a verifier other than the platform's."""

    def __init__(self, asked: str, platform_verifier: str) -> None:
        super().__init__(f"--gasless uses the platform's verifier {platform_verifier}")
        self.asked = asked
        self.platform_verifier = platform_verifier


class NothingToWithdraw(Refused):
    """The account's escrow balance in the token is zero."""

    def __init__(self, token: Token, message: str | None = None) -> None:
        super().__init__(
            message or f"nothing to withdraw: your escrow balance in {token.symbol} is 0"
        )
        self.token = token


class NoOpenSlot(Refused):
    """Every claimable slot of the task (among those looked at) is taken."""

    def __init__(self, task_id: int, last_looked_at: int) -> None:
        super().__init__(
            f"task {task_id} has no open slot to claim (looked at slots up to {last_looked_at})"
        )
        self.task_id = task_id
        self.last_looked_at = last_looked_at


class NoSlotToPayThrough(Refused):
    """A receipt's slot went to another worker, and no open slot of the task is left to pay
    it through (``proveEquivocation`` needs one): once the requester adds a slot, it pays."""

    def __init__(self, task_id: int, slot: int) -> None:
        super().__init__(
            f"slot {slot} of task {task_id} went to another worker, and the task has no open "
            "slot to pay your receipt through; it pays once the requester adds a slot"
        )
        self.task_id = task_id
        self.slot = slot


class SlotNotReviewable(Refused):
    """A slot named without its worker is in no state the chain can say the worker of."""

    def __init__(self, task_id: int, slot: int, state: str) -> None:
        super().__init__(
            f"slot {slot} of task {task_id} is {state}; "
            "name the worker of a receipt slot as SLOT=WORKER"
        )
        self.task_id = task_id
        self.slot = slot
        self.state = state


class NoSubmission(Refused):
    """A rejection names a slot with no submission on chain to cite."""

    def __init__(self, slot: int) -> None:
        super().__init__(
            f"no submission CID for slot {slot} on chain; receipt work is rejected by its verifier"
        )
        self.slot = slot


class NoAnswerForItem(Refused):
    """The answers handed in for a slot do not answer the slot's item."""

    def __init__(self, item_id: str) -> None:
        super().__init__(f"the answers file has no answer for item {item_id!r}")
        self.item_id = item_id


class ReceiptInvalid(Refused):
    """A receipt the escrow would refuse: wrong signer, worker or envelope."""


class NoReceipt(Refused):
    """No gasless slot or receipt is kept for this slot."""


class ReceiptStoreCorrupt(Refused):
    """A kept receipt file is not JSON."""


class EnvelopeMismatch(Refused):
    """A submission envelope is not the one the slot's receipt or submission names."""


class ResultSetMismatch(Refused):
    """A published result set is not the asked task's (or not this escrow's)."""


class InvalidPolicy(Refused, ValueError):
    """A requester's policy for the verifier does not validate."""


class ApiRefused(Refused):
    """The API (or the verifier) answered 4xx; ``status`` and ``detail`` say why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"the API answered {status}: {detail}")
        self.status = status
        self.detail = detail


class ApiFailed(ClientError, EnvironmentProblem):
    """The API (or the verifier) answered 5xx."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"the API answered {status}: {detail}")
        self.status = status
        self.detail = detail


class ApiUnavailable(ClientError, EnvironmentProblem, ConnectionError):
    """Nothing answers at the API's (or the verifier's) URL."""
