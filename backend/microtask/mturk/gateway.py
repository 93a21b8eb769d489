"""`Gateway`: one requester's MTurk endpoint over the client library.

The gateway is a front end: each operation reads its parameters (`wire.Params`), calls the
requester's `microtask.client.Requester` (which holds the key and every rule of the
escrow), and answers in MTurk's shapes. What MTurk has and microtask does not (HIT types,
annotations, qualification types, block lists, notification settings) is kept in its
`state.GatewayState`.

Custody stays with the requester: the gateway signs with the requester's own key (the
keystore unlocked by ``microtask mturk serve --account NAME``, or the demo requester's
development key under ``microtask up --demo``), and access keys only prove that a request
comes from someone the requester gave one to.

Transactions are sent one at a time (`Gateway.writing`): two boto3 calls at once would
otherwise race for the requester's nonce. Reads run side by side.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy.orm import Session
from web3.exceptions import Web3Exception

from microtask.chain.reverts import TransactionReverted
from microtask.client.errors import ApiFailed, ApiRefused, ApiUnavailable, InsufficientFunds
from microtask.errors import EnvironmentProblem, UserError
from microtask.mturk.errors import INTERNAL, MTurkError, fault
from microtask.mturk.state import GatewayState, Hit
from microtask.verifier.clock import ChainClock

if TYPE_CHECKING:
    from microtask.client import Platform, Requester, Token
    from microtask.client.results import PublishedManifest
    from microtask.manifests import SubmissionAnswers
    from microtask.mturk.policies import PolicyPusher
    from microtask.mturk.wire import Params

log = logging.getLogger("microtask.mturk")

Operation = Callable[["Gateway", "Params"], dict[str, Any]]
OPERATIONS: dict[str, Operation] = {}
"""Every operation the endpoint answers, by its MTurk name (filled by `operation`)."""
CACHED_ANSWERS: Final = 2_048


def operation(name: str) -> Callable[[Operation], Operation]:
    """Register an MTurk operation's implementation."""

    def register(function: Operation) -> Operation:
        OPERATIONS[name] = function
        return function

    return register


class Gateway:
    """The MTurk endpoint of one requester (see the module's note)."""

    def __init__(
        self,
        requester: Requester,
        state: GatewayState,
        *,
        token: str,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self.requester = requester
        self.platform: Platform = requester.platform
        self.state = state
        self.token_name = token
        self.clock: Callable[[], int] = clock or ChainClock.of_node(self.platform.w3)
        self._write = threading.RLock()
        self._token: Token | None = None
        self._manifests: dict[int, PublishedManifest] = {}
        self._answers: OrderedDict[str, SubmissionAnswers] = OrderedDict()
        self.wake = threading.Event()
        """Set when something the background round acts on changed (a policy, a test
        notification): it runs at once instead of at its next tick."""
        from microtask.mturk.policies import PolicyPusher

        self.policies: PolicyPusher = PolicyPusher(self)

    # ------------------------------------------------------------ shared

    @property
    def address(self) -> str:
        return self.requester.address

    def now(self) -> int:
        """The chain's time: what deadlines and review periods are measured in."""
        return self.clock()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold while sending transactions or changing the gateway's state."""
        with self._write:
            yield

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.state.sessions.begin() as session:
            yield session

    @property
    def token(self) -> Token:
        """The stablecoin HITs pay in (`microtask.config.Settings.mturk_token`)."""
        if self._token is None:
            try:
                self._token = self.platform.token(self.token_name)
            except UserError as error:
                raise MTurkError(
                    f"the platform has no stablecoin {self.token_name!r} to pay rewards in "
                    f"({error}); set MICROTASK_MTURK_TOKEN",
                    "AWS.MechanicalTurk.InvalidParameterValue",
                ) from None
        return self._token

    def units(self, dollars: str, what: str) -> int:
        """A ``CurrencyAmount`` (US dollars, at most two decimals) in the token's units."""
        try:
            amount = Decimal(dollars)
        except InvalidOperation:
            amount = Decimal(-1)
        if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise MTurkError(
                f"{what} must be a dollar amount with at most two decimals, like 0.50",
                "AWS.MechanicalTurk.InvalidParameterValue",
            )
        return int(amount * 10**self.token.decimals)

    def dollars(self, units: int) -> str:
        """Token units as a ``CurrencyAmount`` (two decimals, rounded down)."""
        amount = Decimal(units) / Decimal(10**self.token.decimals)
        return str(amount.quantize(Decimal("0.01"), rounding=ROUND_DOWN))

    def hit(self, session: Session, task_id: int, *, deleted: bool = False) -> Hit:
        """The gateway's row of a HIT it made (deleted ones only when asked)."""
        row = session.get(Hit, task_id)
        if row is None or (row.deleted_at is not None and not deleted):
            raise MTurkError(
                f"Hit T{task_id} does not exist. (made through another requester's "
                "endpoint, deleted, or never made)",
                "AWS.MechanicalTurk.HITDoesNotExist",
            )
        return row

    def manifest(self, task_id: int) -> PublishedManifest:
        """The task's manifest (read once: it never changes)."""
        if task_id not in self._manifests:
            self._manifests[task_id] = self.platform.manifest(task_id)
        return self._manifests[task_id]

    def answers(self, task_id: int, slot: int, worker: str, envelope_cid: str) -> SubmissionAnswers:
        """A submission's answers, decrypted once and kept (envelopes never change)."""
        found = self._answers.get(envelope_cid)
        if found is None:
            found = self.requester.open_envelope(
                task_id, slot, worker, envelope_cid, manifest=self.manifest(task_id).manifest
            )
            self._answers[envelope_cid] = found
            while len(self._answers) > CACHED_ANSWERS:
                self._answers.popitem(last=False)
        else:
            self._answers.move_to_end(envelope_cid)
        return found

    # ------------------------------------------------------------ answering

    def call(self, name: str, params: Params) -> dict[str, Any]:
        """Run the operation ``name``; every failure becomes a `MTurkError`."""
        from microtask.mturk import operations  # noqa: F401 (registers every operation)
        from microtask.mturk.errors import unsupported

        implementation = OPERATIONS.get(name)
        if implementation is None:
            raise unsupported(name)
        try:
            return implementation(self, params)
        except MTurkError:
            raise
        except InsufficientFunds as error:
            raise MTurkError(str(error), "AWS.MechanicalTurk.InsufficientFunds") from None
        except TransactionReverted as error:
            raise MTurkError(
                f"the escrow refused: {error}", "AWS.MechanicalTurk.InvalidState"
            ) from None
        except ApiRefused as error:
            raise MTurkError(error.detail, "AWS.MechanicalTurk.Refused") from None
        except (ApiUnavailable, ApiFailed, EnvironmentProblem, Web3Exception, OSError) as error:
            log.warning("%s: the platform did not answer: %s", name, error)
            raise fault(f"the platform did not answer ({error}); try again") from None
        except UserError as error:
            raise MTurkError(str(error), "AWS.MechanicalTurk.InvalidParameterValue") from None
        except Exception:
            log.exception("%s failed", name)
            raise fault("internal error; the gateway's log says more", INTERNAL) from None


def epoch() -> int:
    """Wall-clock seconds, for what MTurk stamps with its own clock (CreationTime)."""
    return int(time.time())
