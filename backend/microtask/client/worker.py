"""`Worker`: find work, claim it (on chain, or gasless through the task's verifier), answer
it, and collect the pay.

Answers are checked against the task's answer schema, encrypted to the requester (and the
verifier) and signed before they leave the process; only the envelope's CID goes on chain,
or to the verifier for a receipt. Gasless work costs the worker no gas: a signed request
reserves a receipt slot, the handed-in envelope earns an EIP-712 receipt, checked at once
and kept (`ReceiptStore`); if the verifier stays silent, `Worker.enforce` presents the
receipt on chain and collects after the review period (the only steps that cost gas).

Example::

    bob = Worker(platform, signer)
    claimed = bob.claim(3)                        # the first open slot
    bob.submit(3, claimed.slot, answers)          # SubmissionAnswers
    done = bob.work_gasless(2, answers)           # reserve, seal, hand in, keep the receipt
    bob.withdraw(platform.token("dUSD"))
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from functools import cached_property
from time import time as wall_clock
from typing import TYPE_CHECKING

from microtask.client.documents import (
    AssignmentPage,
    Grant,
    Inbox,
    IssuedReceipt,
    TaskPage,
    WorkerProfile,
)
from microtask.client.errors import NoOpenSlot, NoReceipt, NoSlotToPayThrough
from microtask.client.party import Party
from microtask.client.receipts import (
    ReceiptStore,
    check_receipt,
    enforcement_step,
    equivocation,
    receipt_of,
)
from microtask.client.results import (
    Claimed,
    Disputed,
    Earnings,
    Enforcement,
    GaslessWork,
    KeptSlot,
    PublishedManifest,
    ReceiptStatus,
    SlotReview,
    Submitted,
    Transaction,
)
from microtask.client.reviews import check_dispute_reason
from microtask.encoding import canonical_json
from microtask.escrow import Slot, SlotState, claimable
from microtask.manifests import ReviewBatch, SubmissionAnswers, parse_as, seal_submission

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from microtask.client.platform import Platform

MAX_SLOTS_SCANNED = 500
"""How many claimable slots `Worker.first_claimable_slot` looks at before giving up."""


class Worker(Party):
    """A worker on the platform (see the module's note)."""

    def __init__(
        self, platform: Platform, signer: LocalAccount | None = None, *, address: str | None = None
    ) -> None:
        super().__init__(platform, signer, address=address)
        self._held: dict[int, tuple[Grant, KeptSlot]] = {}
        """Receipt slots granted and not yet handed in, by task, with their kept record:
        `work_gasless` hands in a slot it holds before asking for another (the verifier
        grants one at a time), and `hand_in` need not read back the record it just wrote."""

    # ------------------------------------------------------------ finding work

    def find_tasks(self, *, sort: str = "-reward", limit: int = 20) -> TaskPage:
        """Open tasks this worker qualifies for, from the API: ``-reward`` (best paid
        first), ``match`` (pay per minute x expected acceptance, explained), ``-created``
        or ``deadline``.

        Example: ``worker.find_tasks(sort="match").data[0].match.explanation``
        """
        return self.platform.tasks(status="open", eligible_for=self.address, sort=sort, limit=limit)

    def first_claimable_slot(self, task_id: int) -> int:
        """The first claimable slot that is open or whose lease ran out (`NoOpenSlot`).

        Example: ``worker.first_claimable_slot(3)   # 0``
        """
        platform = self.platform
        task = platform.task(task_id)
        now = platform.now()
        last = min(task.slot_count, task.receipt_slots + MAX_SLOTS_SCANNED)
        for slot in range(task.receipt_slots, last):
            view = platform.slot(task_id, slot)
            if claimable(view.state, view.timestamp, now):
                return slot
        raise NoOpenSlot(task_id, last - 1)

    # ------------------------------------------------------------ on chain

    def claim(self, task_id: int, slot: int | None = None) -> Claimed:
        """Claim ``slot`` (default: the first open one) for the task's lease.

        Example: ``claimed = worker.claim(3); claimed.lease_end``
        """
        chosen = self.first_claimable_slot(task_id) if slot is None else slot
        receipt = self.escrow.claim(task_id, chosen)
        lease_end = self.platform.slot(task_id, chosen).timestamp
        manifest = self.platform.manifest(task_id).manifest
        item = manifest.inline_item(chosen)
        return Claimed(
            task_id,
            chosen,
            item.id if item is not None else None,
            manifest.item_index(chosen),
            lease_end,
            Transaction.of(receipt),
        )

    def submit(self, task_id: int, slot: int, answers: SubmissionAnswers) -> Submitted:
        """Check, seal, sign and upload the answers, then submit the envelope's CID.

        Example: ``worker.submit(3, 0, parse_as(SubmissionAnswers, path.read_bytes()))``
        """
        platform = self.platform
        published = platform.manifest(task_id)
        envelope = seal_submission(
            answers,
            manifest=published.manifest,
            manifest_cid=published.cid,
            chain_id=platform.chain_id,
            escrow=platform.escrow_address,
            task_id=task_id,
            slot=slot,
            worker=self.account("signing a submission"),
        )
        cid = platform.content.add_json(envelope.model_dump(mode="json"))
        receipt = self.escrow.submit(task_id, slot, bytes(cid))
        return Submitted(task_id, slot, str(cid), Transaction.of(receipt))

    def release(self, task_id: int, slot: int) -> Transaction:
        """Give a claimed slot back.

        Example: ``worker.release(3, 0)``
        """
        return Transaction.of(self.escrow.release(task_id, slot))

    def finalize(self, task_id: int, slots: Sequence[int]) -> Transaction:
        """Collect pay for work left unreviewed past the review period (and settle other
        lapsed windows); anyone may call it.

        Example: ``worker.finalize(3, [0, 1])``
        """
        return Transaction.of(self.escrow.finalize(task_id, slots))

    def dispute(self, task_id: int, slot: int, reason: str) -> Disputed:
        """Dispute a rejection within the dispute window; ``reason`` is uploaded and the
        task's arbitrator decides.

        Example: ``worker.dispute(3, 1, "the answer matches the instructions")``
        """
        cid = self.platform.content.add_bytes(check_dispute_reason(reason))
        receipt = self.escrow.dispute(task_id, slot, bytes(cid))
        return Disputed(task_id, slot, str(cid), Transaction.of(receipt))

    def earnings(self, tokens: list[str] | None = None) -> list[Earnings]:
        """Ledger balance and record per token: ETH and ``tokens`` (addresses or deployed
        symbols), or ETH and every token deployed on the network.

        Example: ``[(e.token.symbol, e.balance) for e in worker.earnings(["dUSD"])]``
        """
        reader = self.platform.reader
        return [
            Earnings(
                token,
                reader.balance(self.address, token.address),
                reader.reputation(self.address, token.address),
            )
            for token in self.platform.listed_tokens(tokens)
        ]

    # ------------------------------------------------------------ gasless

    @cached_property
    def receipts(self) -> ReceiptStore:
        """The gasless slots and receipts kept for this worker."""
        return ReceiptStore.of(self.platform, self.address)

    def request_slot(self, task_id: int, slot: int | None = None) -> Grant:
        """Ask the task's verifier for a receipt slot (None: any), signed here; the grant
        is kept with the signed request.

        Example: ``grant = worker.request_slot(2); grant.item_id``
        """
        return self._reserve(task_id, slot, keep=True)

    def _reserve(self, task_id: int, slot: int | None, *, keep: bool) -> Grant:
        """`request_slot`; ``keep``: write the grant's record now (else `work_gasless`
        writes it only if the slot's hand-in fails, see there)."""
        from microtask.client.verifier_requests import claim_body, slot_request

        platform = self.platform
        request = slot_request(task_id, slot, worker=self.address, now=self._verifier_now())
        signature = request.sign(
            self.account("requesting a slot"), platform.chain_id, platform.escrow_address
        )
        body = claim_body(request, signature)
        grant = Grant.model_validate(
            platform.api.post("/verifier/claims", body, service="verifier", idempotent=True)
        )
        document = {**grant.document(), "request": body}
        if keep:
            # not fsynced: a grant lost to a machine crash costs a reservation, not pay
            kept = self.receipts.save(task_id, grant.slot, document, durable=False)
        else:
            kept = KeptSlot(document)
        self._held[task_id] = (grant, kept)
        return grant

    def _keep_grant(self, task_id: int, grant: Grant) -> None:
        """Write the record of a grant whose hand-in failed (unless the slot's receipt got
        kept before the failure), so this worker, or another process of theirs, hands the
        slot in while its lease runs (`hand_in`)."""
        held = self._held.get(task_id)
        if held is None or held[0].slot != grant.slot:
            return  # handed in: its record, with the receipt, is on disk
        kept = self.receipts.load(task_id, grant.slot)
        if kept is not None and kept.receipt:
            return
        self.receipts.save(task_id, grant.slot, held[1].document, durable=False)

    def _verifier_now(self) -> int:
        """The time as the verifier counts it. Its now runs on with the wall clock past
        the chain's head (a chain that mines on demand keeps an old head while idle):
        count expiries and leases from the same clock, or a request signed after ten idle
        minutes arrives already expired; `chain_time` reads the head at most every few
        seconds, no round trip on most calls."""
        return max(self.platform.chain_time(), int(wall_clock()))

    def hand_in(
        self,
        task_id: int,
        slot: int,
        answers: SubmissionAnswers,
        *,
        manifest: PublishedManifest | None = None,
    ) -> IssuedReceipt:
        """Seal the answer to the slot's item (``answers`` may answer many items), upload
        it, and get the verifier's receipt, checked and kept. Pass ``manifest`` when handing
        in many slots of one task, to read it once.

        Example: ``worker.hand_in(2, grant.slot, answers).submitted_at``
        """
        from microtask.client.verifier_requests import answers_for_item

        platform = self.platform
        published = manifest or platform.manifest(task_id)
        held = self._held.get(task_id)
        kept = held[1] if held is not None and held[0].slot == slot else None
        if kept is None:
            kept = self.receipts.load(task_id, slot)
        item_id = kept.item_id if kept is not None else None
        if item_id is None:
            inline = published.manifest.inline_item(slot)
            if inline is None:
                raise NoReceipt(f"no record of slot {slot}: claim it with --gasless first")
            item_id = inline.id
        envelope = seal_submission(
            answers_for_item(answers, item_id),
            manifest=published.manifest,
            manifest_cid=published.cid,
            chain_id=platform.chain_id,
            escrow=platform.escrow_address,
            task_id=task_id,
            slot=slot,
            worker=self.account("signing a submission"),
        )
        cid = platform.api.upload_json(envelope.model_dump(mode="json"))
        body = {"task_id": task_id, "slot": slot, "envelope_cid": cid}
        answer = platform.api.post(
            "/verifier/submissions", body, service="verifier", idempotent=True
        )
        self.check_receipt(answer, cid)
        record = dict(kept.document) if kept is not None else {}
        record.update(task_id=task_id, slot=slot, item_id=item_id, receipt=answer)
        self.receipts.save(task_id, slot, record)  # durable: on disk before we go on
        held = self._held.get(task_id)
        if held is not None and held[0].slot == slot:
            del self._held[task_id]
        return IssuedReceipt.model_validate(answer)

    def work_gasless(
        self,
        task_id: int,
        answers: SubmissionAnswers,
        *,
        slot: int | None = None,
        manifest: PublishedManifest | None = None,
    ) -> GaslessWork:
        """Reserve a receipt slot and hand in its item's answer at once. A slot of the task
        this worker was granted and has not handed in yet (its hand-in failed: the
        connection dropped, the store was down) is handed in first, while its lease runs,
        instead of asking for another, which the verifier would refuse until it lapses.

        Example: ``done = worker.work_gasless(2, answers); done.receipt.signature``
        """
        held = self._held.get(task_id)
        if held is not None and (slot is None or held[0].slot == slot):
            grant = held[0]
            if grant.lease_end > self._verifier_now():
                receipt = self.hand_in(task_id, grant.slot, answers, manifest=manifest)
                return GaslessWork(grant, receipt)
            del self._held[task_id]
        # the grant's record is written only if its hand-in fails: the receipt's record,
        # written a moment later, holds the grant and the signed request too, and a file
        # made and replaced per slot cost the worker's machine as much as sealing its
        # answer (kernel time: a new inode, a rename). A crash between the two loses the
        # grant, as a machine crash already could: a reservation, never pay
        grant = self._reserve(task_id, slot, keep=False)
        try:
            receipt = self.hand_in(task_id, grant.slot, answers, manifest=manifest)
        except BaseException:
            with suppress(Exception):  # the hand-in's error is the one to see
                self._keep_grant(task_id, grant)
            raise
        return GaslessWork(grant, receipt)

    def check_receipt(self, document: dict[str, object], envelope_cid: str) -> None:
        """`ReceiptInvalid` unless the receipt would be good on chain for this worker's
        envelope (see `receipts.check_receipt`).

        Example: ``worker.check_receipt(answer, envelope_cid)   # raises ReceiptInvalid``
        """
        platform = self.platform
        check_receipt(
            document,
            signers=platform.task_parties(int(str(document["task_id"]))),
            worker=self.address,
            envelope_cid=envelope_cid,
            chain_id=platform.chain_id,
            escrow=platform.escrow_address,
        )

    def kept_receipts(self, task_id: int | None = None) -> list[ReceiptStatus]:
        """The kept gasless slots (of one task, or all), each with its state on chain.

        Example: ``[(r.kept.slot, r.on_chain) for r in worker.kept_receipts(2)]``
        """
        return [
            ReceiptStatus(kept, self.platform.slot(kept.task_id, kept.slot).state)
            for kept in self.receipts.all()
            if task_id is None or kept.task_id == task_id
        ]

    def enforce(self, task_id: int, slot: int) -> Enforcement:
        """Collect a receipted slot the verifier never settled: present the kept receipt
        while the slot is open, then, once its review period has passed without a
        rejection, finalize it; if the slot went to another worker (the signer gave it
        twice), prove it and be paid through another open slot. Costs gas; call it again
        until the slot is paid.

        Example: ``worker.enforce(2, 4).done   # ('presented',), later ('finalized',)``
        """
        kept = self.receipts.load(task_id, slot)
        document = kept.receipt if kept is not None else None
        if not document:
            raise NoReceipt(f"no receipt kept for slot {slot} of task {task_id}")
        self.check_receipt(document, str(document["envelope_cid"]))
        receipt, signature = receipt_of(document)
        platform, escrow = self.platform, self.escrow
        review_period = platform.task(task_id).review_period
        done: list[str] = []
        view = platform.slot(task_id, slot)
        step = enforcement_step(view, self.address, review_period, platform.now())
        if step.action == "present":
            escrow.present_receipts([(receipt, signature)])
            done.append("presented")
            view = platform.slot(task_id, slot)
            step = enforcement_step(view, self.address, review_period, platform.now())
        if step.action == "finalize":
            escrow.finalize(task_id, [slot])
            done.append("finalized")
            view = platform.slot(task_id, slot)
        if step.action == "none":
            proven = self._prove_equivocation(task_id, slot, view)
            if proven is not None:
                return proven
        return Enforcement(task_id, slot, tuple(done), view.state, step.payable_after)

    def _prove_equivocation(self, task_id: int, slot: int, view: Slot) -> Enforcement | None:
        """Be paid for a receipt whose slot went to another worker (`equivocation`): once,
        through the highest open slot of the task (claimable slots first, so the verifier's
        next free receipt slot stays free). None when the slot was not given away."""
        platform, me = self.platform, self.address
        reader, since = platform.reader, platform.record.block_number
        proven = [
            event
            for event in reader.logs("EquivocationProven", from_block=since, task_id=task_id)
            if event["slot"] == slot and event["worker"] == me
        ]
        if proven:
            paid = int(proven[0]["paidSlot"])
            return Enforcement(task_id, slot, (), platform.slot(task_id, paid).state, None, paid)
        approvals = (
            list(zip(event["slots"], event["workers"], strict=True))
            for event in reader.logs("SlotsApproved", from_block=since, task_id=task_id)
        )
        given_away = equivocation(view, me, slot, approvals)
        if given_away is None:
            return None
        paid = self._open_slot_to_pay_through(task_id, slot)
        kept = self.receipts.load(task_id, slot)
        assert kept is not None  # enforce loaded and checked it
        assert kept.receipt
        receipt, signature = receipt_of(kept.receipt)
        self.escrow.prove_equivocation(receipt, signature, paid, given_away.batch)
        state = platform.slot(task_id, paid).state
        return Enforcement(task_id, slot, ("proven",), state, None, paid)

    def _open_slot_to_pay_through(self, task_id: int, slot: int) -> int:
        platform = self.platform
        task = platform.task(task_id)
        slot_count, receipt_slots = int(task.slot_count), int(task.receipt_slots)
        claimable_first: list[int] = [
            *range(slot_count - 1, receipt_slots - 1, -1),
            *range(receipt_slots - 1, -1, -1),
        ]
        for candidate in claimable_first[:MAX_SLOTS_SCANNED]:
            if candidate != slot and platform.slot(task_id, candidate).state is SlotState.OPEN:
                return candidate
        raise NoSlotToPayThrough(task_id, slot)

    # ------------------------------------------------------------ the record

    def reviews(self, task_id: int) -> list[SlotReview]:
        """Why this worker's slots of the task were rejected: each review and its batch.

        Example: ``[r.review.reasons for r in worker.reviews(2)]``
        """
        api = self.platform.api
        page = AssignmentPage.model_validate(
            api.get(f"/tasks/{task_id}/assignments", {"worker": self.address, "limit": 100})
        )
        found: list[SlotReview] = []
        batches: dict[str, ReviewBatch] = {}
        for assignment in page.data:
            cid = assignment.rejection_cid
            if not cid:
                continue
            if cid not in batches:
                batches[cid] = parse_as(ReviewBatch, canonical_json(api.get(f"/content/{cid}")))
            review = batches[cid].for_slot(assignment.slot)
            if review is not None:
                found.append(SlotReview(review, cid))
        return found

    def inbox(self, *, before: int | None = None) -> Inbox:
        """The messages requesters sent this worker, newest first (a signed request: only
        the worker reads them).

        Example: ``[m.subject for m in worker.inbox().data]``
        """
        from microtask.client import verifier_requests as requests
        from microtask.verifier.clock import ChainClock

        platform = self.platform
        command = requests.inbox_command(ChainClock.of_node(platform.w3)())
        signature = command.sign(
            self.account("reading the inbox"), platform.chain_id, platform.escrow_address
        )
        body = requests.inbox_body(command, self.address, signature)
        if before is not None:
            body["before"] = before
        return Inbox.model_validate(platform.api.post("/verifier/inbox", body, service="verifier"))

    def profile(self) -> WorkerProfile:
        """This worker's records, scores and badges, from the API.

        Example: ``worker.profile().scores.overall.accuracy``
        """
        return self.platform.worker_profile(self.address)
