"""`Requester`: post tasks, review the work, pay, and get back what was not spent.

Creating a task is two steps, so a front end can show the cost before anything is sent:
`Requester.draft_task` fills in and validates the manifest, computes the cost and checks
the wallet can pay it (nothing leaves the machine); `Requester.create_task` uploads the
manifest and funds the task (approving the token, or with an EIP-2612 permit).

Reviewing needs each slot's worker: the chain says it for slots submitted on chain; a
receipt slot settled directly is named with its worker, as a ``(slot, worker)`` pair.
Rejections upload a `ReviewBatch` first, so each worker can read why.

Example::

    with Platform.open(settings, "local") as platform:
        alice = Requester(platform, signer)
        token = platform.token("dUSD")
        draft = alice.draft_task(read_manifest_file(path), TaskTerms(token.parse("0.5"), token))
        created = alice.create_task(draft)
        alice.approve(created.task_id, [0, 1, (2, "0x90F7...b906")])
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from microtask.client.addresses import checked_address
from microtask.client.documents import (
    AssessmentReport,
    MessageDelivery,
    PolicyStored,
    ReceiptPage,
    ReceiptRow,
    ResultsSummary,
    TaskPage,
)
from microtask.client.errors import (
    EnvelopeMismatch,
    InsufficientFunds,
    NothingToWithdraw,
    ResultSetMismatch,
    SlotNotReviewable,
    VerifierMismatch,
)
from microtask.client.manifests import complete_manifest
from microtask.client.party import Party
from microtask.client.platform import Platform
from microtask.client.results import (
    BonusPaid,
    CreatedTask,
    DeadlineExtended,
    Refunded,
    ResultSet,
    SlotsAdded,
    SlotsApproved,
    SlotsRejected,
    Submissions,
    SubmittedAnswer,
    Transaction,
    Withdrawn,
)
from microtask.client.reviews import check_reason_code, rejection_batch, rejection_proofs
from microtask.client.tokens import Token
from microtask.content import parse_cid
from microtask.encoding import canonical_json
from microtask.escrow import ZERO_ADDRESS, SlotState, TaskParams, fee_of, funding_of
from microtask.manifests import (
    SubmissionAnswers,
    SubmissionEnvelope,
    TaskManifest,
    open_submission,
    parse_as,
)
from microtask.manifests.sealing import public_key_of

if TYPE_CHECKING:
    from microtask.verifier.policy import Policy

PERMIT_LIFETIME = 3600
"""Seconds an EIP-2612 permit signed for a new task stays good."""
MAX_ENVELOPE_BYTES = 4 << 20

SlotRef = int | tuple[int, str]
"""A slot to review: its index (the chain says its worker), or ``(slot, worker)``."""


@dataclass(frozen=True)
class TaskTerms:
    """What a requester asks for, beside the manifest: amounts in the token's smallest
    unit, durations in seconds. ``slots`` None: items x redundancy. ``gasless``: the
    platform's verifier runs the task, every slot through signed receipts."""

    reward: int
    token: Token
    slots: int | None = None
    receipt_slots: int = 0
    deadline_in: int = 7 * 86_400
    review_period: int = 3 * 86_400
    lease: int = 3600
    verifier: str | None = None
    arbitrator: str | None = None
    min_approved: int = 0
    min_approval_bps: int = 0
    gasless: bool = False


@dataclass(frozen=True)
class TaskDraft:
    """A task ready to fund: the completed manifest, the escrow's terms (the manifest CID
    still empty) and the cost at the fee read when drafted."""

    manifest: TaskManifest
    params: TaskParams
    token: Token
    fee_bps: int
    drafted_at: int
    """The chain's time when drafted: the deadline counts from it."""
    minimum_fee: int = 0
    """The token's minimum fee per paid slot when drafted (``setMinimumFee``)."""
    default_arbitrator: str = ZERO_ADDRESS
    """The escrow's default arbitrator when drafted: a task without its own expects it."""

    @property
    def guarded_params(self) -> TaskParams:
        """The parameters with the front-running guard set to what the draft shows: the
        escrow refuses the task if the owner raised the fee or changed the default
        arbitrator between the draft and its inclusion."""
        return self.params.guarded(self.fee_per_slot, self.default_arbitrator)

    @property
    def fee_per_slot(self) -> int:
        return fee_of(self.params.reward, self.fee_bps, self.minimum_fee)

    @property
    def escrowed(self) -> int:
        """What funding takes from the wallet: (reward + fee) per slot."""
        return funding_of(self.params.reward, self.params.slots, self.fee_bps, self.minimum_fee)


class Requester(Party):
    """A requester on the platform (see the module's note).

    ``reading_key``: the private key submissions and result sets are sealed to, when it is
    not the signer's own: the key derived from the requester's wallet signature
    (`requester_key`, as the web app derives it; ``microtask account import-derived``).
    With it, a requester opened by address only reads its tasks' work too.
    """

    def __init__(
        self,
        platform: Platform,
        signer: LocalAccount | None = None,
        *,
        address: str | None = None,
        reading_key: bytes | None = None,
    ) -> None:
        super().__init__(platform, signer, address=address)
        self.reading_key = reading_key

    def _reading_key(self, action: str) -> bytes:
        """The key that opens this requester's submissions and result sets."""
        if self.reading_key is not None:
            return self.reading_key
        return bytes(self.account(action).key)

    # ------------------------------------------------------------ creating

    def draft_task(self, manifest: Mapping[str, Any], terms: TaskTerms) -> TaskDraft:
        """Complete and validate the manifest, work out the terms and the cost, and check
        the wallet holds it (`InsufficientFunds`); nothing is sent.

        A gasless task asks the platform's verifier for its address and key
        (`VerifierMismatch` if ``terms.verifier`` names another) and, unless told how many,
        makes every slot a receipt slot.

        Example: ``requester.draft_task(read_manifest_file(path), TaskTerms(500_000, dusd))``
        """
        verifier, defaults = terms.verifier, {}
        if terms.gasless:
            found = self.platform.verifier_info()
            if verifier and Web3.to_checksum_address(verifier) != found.verifier:
                raise VerifierMismatch(verifier, found.verifier)
            verifier = found.verifier
            defaults = {"verifier": found.verifier, "verifier_public_key": found.public_key}
        opener = self.reading_key or (None if self.signer is None else bytes(self.signer.key))
        key = None if opener is None else "0x" + public_key_of(opener).hex()
        completed = complete_manifest(
            manifest, requester=self.address, requester_public_key=key, defaults=defaults
        )
        now = self.platform.now()
        count = terms.slots or completed.slot_count
        params = TaskParams(
            manifest_cid=b"",
            reward=terms.reward,
            slots=count,
            receipt_slots=count
            if terms.gasless and not terms.receipt_slots
            else terms.receipt_slots,
            deadline=now + terms.deadline_in,
            review_period=terms.review_period,
            lease=terms.lease,
            token=terms.token.address,
            verifier=Web3.to_checksum_address(verifier) if verifier else ZERO_ADDRESS,
            arbitrator=(
                Web3.to_checksum_address(terms.arbitrator) if terms.arbitrator else ZERO_ADDRESS
            ),
            min_approved=terms.min_approved,
            min_approval_bps=terms.min_approval_bps,
        )
        reader = self.platform.reader
        draft = TaskDraft(
            completed,
            params,
            terms.token,
            reader.fee_bps(),
            now,
            minimum_fee=reader.minimum_fee(terms.token.address),
            default_arbitrator=reader.default_arbitrator(),
        )
        available = self.wallet_balance(terms.token)
        if available < draft.escrowed:
            raise InsufficientFunds(terms.token, draft.escrowed, available)
        return draft

    def create_task(self, draft: TaskDraft, *, permit: bool = False) -> CreatedTask:
        """Upload the manifest and create and fund the task: an ERC-20 is approved first
        if needed, or (``permit``) funded with an EIP-2612 permit in one transaction.

        Example: ``task_id = requester.create_task(draft, permit=True).task_id``
        """
        cid = self.platform.content.add_json(draft.manifest.model_dump(mode="json"))
        params = replace(draft.guarded_params, manifest_cid=bytes(cid))
        if permit:
            deadline = draft.drafted_at + PERMIT_LIFETIME
            task_id, receipt = self.escrow.create_task_with_permit(params, deadline)
        else:
            task_id, receipt = self.escrow.create_task(params)
        return CreatedTask(task_id, str(cid), draft.token, draft.escrowed, Transaction.of(receipt))

    # ------------------------------------------------------------ reviewing

    def reviewable(self, task_id: int, slots: Sequence[SlotRef]) -> list[tuple[int, str]]:
        """(slot, worker) for each slot: as given, or the worker the chain names for a
        slot submitted, rejected or disputed (`SlotNotReviewable` otherwise).

        Example: ``requester.reviewable(3, [0, (4, worker)])   # [(0, <its worker>), (4, worker)]``
        """
        pairs: list[tuple[int, str]] = []
        for ref in slots:
            if isinstance(ref, tuple):
                pairs.append((ref[0], checked_address(ref[1])))
                continue
            view = self.platform.slot(task_id, ref)
            if view.state not in (SlotState.SUBMITTED, SlotState.REJECTED, SlotState.DISPUTED):
                raise SlotNotReviewable(task_id, ref, view.state.name.lower())
            pairs.append((ref, view.worker))
        return pairs

    def approve(self, task_id: int, slots: Sequence[SlotRef]) -> SlotsApproved:
        """Approve many slots in one transaction: each worker is paid at once.

        Example: ``requester.approve(3, [0, 1, (2, worker)])``
        """
        pairs = self.reviewable(task_id, slots)
        receipt = self.escrow.approve(task_id, pairs)
        return SlotsApproved(task_id, tuple(pairs), Transaction.of(receipt))

    def reject(
        self,
        task_id: int,
        slots: Sequence[SlotRef],
        reason: str,
        *,
        detail: str | None = None,
        feedback: str = "",
    ) -> SlotsRejected:
        """Reject slots within their review period, with a reason code (`REASON_CODES`);
        the `ReviewBatch` saying why is uploaded first and cited on chain.

        Example: ``requester.reject(3, [1], "incorrect", detail="item 4 is a dog")``
        """
        check_reason_code(reason)  # before reading the chain
        pairs = self.reviewable(task_id, slots)
        envelopes = self.submission_cids(task_id)
        receipted: dict[int, ReceiptRow] = {}
        if any(slot not in envelopes for slot, _ in pairs):  # handed in through receipts
            receipted = {row.slot: row for row in self.receipts(task_id)}
            envelopes = {slot: row.envelope_cid for slot, row in receipted.items()} | envelopes
        batch = rejection_batch(
            task_id,
            pairs,
            envelopes,
            reviewer=self.address,
            reason=reason,
            detail=detail,
            feedback=feedback,
            reviewed_at=self.platform.now(),
        )
        cid = self.platform.content.add_json(batch.model_dump(mode="json"))
        unpresented = {
            slot
            for slot, _ in pairs
            if slot in receipted and self.platform.slot(task_id, slot).state is SlotState.OPEN
        }
        proofs = list(
            rejection_proofs(
                [slot for slot, _ in pairs],
                {slot: row.model_dump() for slot, row in receipted.items()},
                unpresented,
                lambda cid: self.platform.content.cat(cid, max_bytes=MAX_ENVELOPE_BYTES),
            ).values()
        )
        proven = {proof.receipt.slot for proof in proofs}
        plain = [(slot, worker) for slot, worker in pairs if slot not in proven]
        sent = []
        if proofs:  # unpresented receipt slots: the escrow wants each receipt's proof
            sent.append(self.escrow.reject_receipts(task_id, proofs, bytes(cid)))
        if plain or not proofs:
            sent.append(self.escrow.reject(task_id, plain, bytes(cid)))
        transactions = tuple(Transaction.of(receipt) for receipt in sent)
        return SlotsRejected(
            task_id, tuple(pairs), str(cid), transactions[-1], transactions=transactions
        )

    def submission_cids(self, task_id: int) -> dict[int, str]:
        """The envelope CID of each slot submitted on chain (what reviews cite).

        Example: ``requester.submission_cids(3)[0]   # 'Qm...' (slot 0's envelope)``
        """
        found = {}
        for log in self._submitted(task_id):
            try:
                found[int(log["slot"])] = str(parse_cid(bytes(log["resultCid"])))
            except ValueError:
                continue
        return found

    def _submitted(self, task_id: int) -> list[dict[str, Any]]:
        platform = self.platform
        return platform.reader.logs(
            "WorkSubmitted", from_block=platform.record.block_number, task_id=task_id
        )

    # ------------------------------------------------------------ paying and refunds

    def task_token(self, task_id: int) -> Token:
        """The token the task pays in.

        Example: ``requester.task_token(3).format(task.reward)   # '0.5 dUSD'``
        """
        return self.platform.token_at(self.platform.task(task_id).token)

    def bonus(self, task_id: int, worker: str, amount: int) -> BonusPaid:
        """Pay ``worker`` ``amount`` extra (in the task's token) from the wallet.

        Example: ``requester.bonus(3, worker, dusd.parse("0.1"))``
        """
        token = self.task_token(task_id)
        address = checked_address(worker)
        receipt = self.escrow.bonus(task_id, address, amount)
        return BonusPaid(task_id, address, amount, token, Transaction.of(receipt))

    def add_slots(self, task_id: int, count: int) -> SlotsAdded:
        """Add and fund ``count`` more claimable slots at the task's reward.

        Example: ``requester.add_slots(3, 10)``
        """
        receipt = self.escrow.add_slots(task_id, count)
        return SlotsAdded(task_id, count, Transaction.of(receipt))

    def extend(self, task_id: int, by: int) -> DeadlineExtended:
        """Move the deadline ``by`` seconds later.

        Example: ``requester.extend(3, 2 * 86_400)   # two days later``
        """
        deadline = self.platform.task(task_id).deadline + by
        receipt = self.escrow.extend_deadline(task_id, deadline)
        return DeadlineExtended(task_id, deadline, Transaction.of(receipt))

    def cancel(self, task_id: int) -> Refunded:
        """Cancel: unheld slots are refunded to the ledger balance now, the rest as they
        settle (`refund` withdraws the balance).

        Example: ``requester.cancel(3).amount   # refunded to the ledger balance now``
        """
        token = self.task_token(task_id)
        receipt = self.escrow.cancel(task_id)
        refunded = self._event_value(receipt, "TaskCancelled", "refunded")
        return Refunded(task_id, refunded, token, Transaction.of(receipt))

    def reclaim(self, task_id: int) -> Refunded:
        """Refund the receipt slots nobody used, once the receipt window has closed.

        Example: ``requester.reclaim(2)``
        """
        receipt = self.escrow.reclaim_receipt_slots(task_id)
        refunded = self._event_value(receipt, "ReceiptSlotsReclaimed", "refunded")
        return Refunded(task_id, refunded, self.task_token(task_id), Transaction.of(receipt))

    def refund(self, token: Token, to: str | None = None) -> Withdrawn:
        """Withdraw the whole ledger balance (refunds) in ``token`` to the wallet (or ``to``).

        Example: ``requester.refund(platform.token("dUSD"))``
        """
        return self.withdraw(token, None, to)

    def _nothing_to_withdraw(self, token: Token) -> NothingToWithdraw:
        return NothingToWithdraw(
            token, f"nothing to refund: your escrow balance in {token.symbol} is 0"
        )

    def _event_value(self, receipt: TxReceipt, event: str, field: str) -> int:
        events = getattr(self.platform.reader.contract.events, event)()
        found = events.process_receipt(receipt, errors=DISCARD)
        return int(found[0]["args"][field]) if found else 0

    # ------------------------------------------------------------ reading the work

    def tasks(self, *, status: str = "open", limit: int = 20) -> TaskPage:
        """This requester's tasks from the API, newest first.

        Example: ``[task.task_id for task in requester.tasks(status="all").data]``
        """
        return self.platform.tasks(status=status, requester=self.address, limit=limit)

    def submissions(self, task_id: int) -> Submissions:
        """Every answer submitted on chain, decrypted with this requester's key (the
        envelopes are checked: signature, task, slot, the manifest's answer schema).

        Example: ``[(a.item_id, a.answer) for a in requester.submissions(3).answers]``
        """
        key = self._reading_key("opening submissions")
        platform = self.platform
        published = platform.manifest(task_id)
        answers: list[SubmittedAnswer] = []
        for log in self._submitted(task_id):
            envelope_cid = str(parse_cid(bytes(log["resultCid"])))
            data = platform.content.cat(envelope_cid, max_bytes=MAX_ENVELOPE_BYTES)
            envelope = parse_as(SubmissionEnvelope, data)
            opened = open_submission(
                envelope,
                key,
                chain_id=platform.chain_id,
                escrow=platform.escrow_address,
                manifest=published.manifest,
            )
            answers.extend(
                SubmittedAnswer(
                    slot=int(log["slot"]),
                    worker=str(log["worker"]),
                    item_id=item.item_id,
                    answer=item.answer.model_dump(mode="json"),
                    envelope_cid=envelope_cid,
                    submitted_at=envelope.submitted_at,
                )
                for item in opened.answers
            )
        return Submissions(task_id, published.cid, tuple(answers))

    def results(self, task_id: int) -> ResultSet:
        """The task's aggregated results, as the verifier published them sealed to this
        requester, decrypted (`ResultSetMismatch` if the published set is another's).

        Example: ``requester.results(2).rows[0]   # {'item_id': ..., 'value': ..., ...}``
        """
        from microtask.verifier.results import open_results, parse_sealed_results

        api = self.platform.api
        summary = ResultsSummary.model_validate(api.get(f"/tasks/{task_id}/results"))
        sealed = parse_sealed_results(canonical_json(api.get(f"/content/{summary.cid}")))
        if sealed.task_id != task_id or sealed.escrow != self.platform.escrow_address:
            raise ResultSetMismatch(
                f"the published result set at {summary.cid} is not task {task_id}'s"
            )
        opened = open_results(sealed, self._reading_key("opening results"))
        lines = opened.jsonl.decode().splitlines()
        rows = tuple(json.loads(line) for line in lines if line.strip())
        return ResultSet(summary, rows, opened.csv, opened.jsonl)

    def receipts(self, task_id: int) -> list[ReceiptRow]:
        """Every receipt the task's verifier signed, by slot: the work handed in without
        gas (`open_envelope` reads each one's answers).

        Example: ``[(r.slot, r.worker) for r in requester.receipts(2)]``
        """
        rows: list[ReceiptRow] = []
        after = -1
        while True:
            page = ReceiptPage.model_validate(
                self.platform.api.get(
                    f"/verifier/tasks/{task_id}/receipts",
                    {"after": after, "limit": 500},
                    service="verifier",
                )
            )
            rows.extend(page.data)
            if page.next_after is None:
                return rows
            after = page.next_after

    def open_envelope(
        self,
        task_id: int,
        slot: int,
        worker: str,
        envelope_cid: str,
        *,
        manifest: TaskManifest | None = None,
    ) -> SubmissionAnswers:
        """The answers of one submission, decrypted with this requester's key, once the
        envelope checks out: signed by ``worker``, for this task and ``slot``, answers
        that fit the manifest (`EnvelopeMismatch` for an envelope of another slot).

        Example: ``requester.open_envelope(2, row.slot, row.worker, row.envelope_cid)``
        """
        platform = self.platform
        data = platform.content.cat(envelope_cid, max_bytes=MAX_ENVELOPE_BYTES)
        envelope = parse_as(SubmissionEnvelope, data)
        if (envelope.task_id, envelope.slot, envelope.worker) != (
            task_id,
            slot,
            checked_address(worker),
        ):
            raise EnvelopeMismatch(
                f"the envelope at {envelope_cid} is for task {envelope.task_id} slot "
                f"{envelope.slot} by {envelope.worker}, not task {task_id} slot {slot} by {worker}"
            )
        return open_submission(
            envelope,
            self._reading_key("opening submissions"),
            chain_id=platform.chain_id,
            escrow=platform.escrow_address,
            manifest=manifest or platform.manifest(task_id).manifest,
        )

    # ------------------------------------------------------------ the verifier

    def notify_workers(self, workers: Sequence[str], subject: str, text: str) -> MessageDelivery:
        """Write to workers who did work for this requester: the message waits in each
        one's inbox with the platform's verifier (the others are listed as refused).

        Example: ``requester.notify_workers([worker], "Thank you", "A bonus is on its way.")``
        """
        from microtask.client import verifier_requests as requests
        from microtask.verifier.clock import ChainClock

        platform = self.platform
        named = [checked_address(worker) for worker in workers]
        command = requests.message_command(subject, text, named, ChainClock.of_node(platform.w3)())
        signature = command.sign(
            self.account("signing a message"), platform.chain_id, platform.escrow_address
        )
        body = requests.message_body(
            command, subject, text, named, requester=self.address, signature=signature
        )
        return MessageDelivery.model_validate(
            platform.api.post("/verifier/messages", body, service="verifier")
        )

    def set_policy(
        self, task_id: int, policy: Policy, *, issued_at: int | None = None
    ) -> PolicyStored:
        """Tell the task's verifier (``task_id`` 0: of all this requester's tasks) who may
        work and how to judge the work; signed here, it replaces the last one. Policies
        are ordered by ``issued_at`` (default: the chain's time now): a front end that
        sends several a second passes later times itself.

        Example: ``requester.set_policy(2, policy_of(block=[spammer]))``
        """
        from microtask.client import verifier_requests as requests
        from microtask.verifier.clock import ChainClock

        platform = self.platform
        if issued_at is None:  # policies are ordered by the second signed
            issued_at = ChainClock.of_node(platform.w3)()
        command = requests.policy_command(task_id, policy, issued_at)
        signature = command.sign(
            self.account("signing a policy"), platform.chain_id, platform.escrow_address
        )
        body = requests.policy_body(command, policy, requester=self.address, signature=signature)
        return PolicyStored.model_validate(
            platform.api.post("/verifier/policies", body, service="verifier")
        )

    def assess(self, task_id: int) -> AssessmentReport:
        """Have the verifier assess the task's submissions and settle its decisions now.

        Example: ``requester.assess(2).outcomes   # {'approve': 8, 'reject': 4}``
        """
        from microtask.client import verifier_requests as requests
        from microtask.verifier.clock import ChainClock

        platform = self.platform
        command = requests.assess_command(task_id, ChainClock.of_node(platform.w3)())
        signature = command.sign(
            self.account("asking for an assessment"), platform.chain_id, platform.escrow_address
        )
        report = platform.api.post(
            f"/verifier/tasks/{task_id}/assess",
            requests.assess_body(command, signature),
            service="verifier",
        )
        return AssessmentReport.model_validate(report)
