"""The state machine hypothesis drives: which calls it sends, and when.

Rules choose a call and its arguments (mostly ones that should work, sometimes ones that
must fail: strangers, wrong slots, empty CIDs, expired signatures, replays); three rules
walk one slot through its natural life (claim or receipt, submission, review, dispute,
ruling, or a window running out), so long histories are common; time jumps by set amounts
or to the last second of a window (and the one after it). Each call goes through
`Driver.do`, and after every step `tests.contracts.checks` compares the whole escrow with
the model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule
from web3.types import TxReceipt

from microtask.chain.devchain import advance_time
from microtask.escrow import (
    SlotState,
    TaskParams,
    claimable,
    has_ended,
    is_receipt_slot,
    takes_claims,
)
from tests.contracts import checks
from tests.contracts.driver import COVERAGE, LIVE, ZERO, Driver, pick_from
from tests.contracts.model import SlotModel, TaskModel
from tests.world import MANIFEST, REASON, RESULT

MAX_TASKS = 7

ETH_REWARDS = [1, 39, 10**15 + 7, 10**16]
TOKEN_REWARDS = [1, 39, 1_000_003, 1_500_000]
DEADLINES = [150, 5_000, 100_000, 400_000, 1_000_000]
REVIEWS = [300, 3_600]
LEASES = [120, 600]
STEPS = [1, 30, 121, 301, 601, 3_601, 86_401]


PROGRESS = st.lists(st.integers(0, 255), min_size=1, max_size=5)
TASK_SPECS = st.fixed_dictionaries(
    {
        "who": st.integers(0, 1),
        "token": st.integers(0, 2),
        "funding": st.sampled_from(["allowance"] * 4 + ["permit", "expired permit"]),
        "reward": st.integers(0, 3),
        "slots": st.integers(1, 4),
        "receipt_slots": st.sampled_from([0, 0, 1, 2, 5]),
        "deadline": st.sampled_from(DEADLINES),
        "review": st.sampled_from(REVIEWS),
        "lease": st.sampled_from(LEASES),
        "verifier": st.booleans(),
        # 0 the default, 1-2 one of their own, 3 the requester itself, 4 the verifier
        "arbitrator": st.sampled_from([0, 0, 0, 1, 1, 2, 3, 4]),
        # what the requester saw: the fee and default now, or before an owner's change
        "guard": st.sampled_from(["now"] * 6 + ["fee raised", "arbitrator changed"]),
        "min_approved": st.sampled_from([0, 0, 0, 1]),
        "min_bps": st.sampled_from([0, 0, 5_000, 9_000]),
    }
)


class EscrowMachine(Driver):
    """The rules hypothesis chooses from, and the check after every step."""

    # ================================================================ rules: requester

    def _create_from(self, spec: dict[str, Any]) -> int | None:
        token, funding = spec["token"], spec["funding"]
        if funding != "allowance":
            token = 1  # permits fund MockERC20 tasks
        slots, receipt_slots = spec["slots"], spec["receipt_slots"]
        requester = self.env.requesters[spec["who"]]
        arbitrator = [
            ZERO,
            *(a.address for a in self.env.arbitrators),
            requester.address,  # judging its own disputes: refused
            self.env.verifier.address,  # the verifier judging its own rejections: refused
        ][spec["arbitrator"]]
        params = TaskParams(
            manifest_cid=MANIFEST,
            token=self.env.tokens[token],
            reward=(ETH_REWARDS if token == 0 else TOKEN_REWARDS)[spec["reward"]],
            slots=slots,
            # 5 asks for one receipt slot more than there are slots: refused
            receipt_slots=min(receipt_slots, slots + (receipt_slots == 5)),
            deadline=self.now() + spec["deadline"],
            review_period=spec["review"],
            lease=spec["lease"],
            verifier=self.env.verifier.address if spec["verifier"] else ZERO,
            arbitrator=arbitrator,
            min_approved=spec["min_approved"],
            min_approval_bps=spec["min_bps"],
        )
        params = self.client(requester).guarded(params)
        assert params.max_fee is not None
        if spec["guard"] == "fee raised" and params.max_fee > 0:
            params = dataclasses.replace(params, max_fee=params.max_fee - 1)
        elif spec["guard"] == "arbitrator changed":
            current = params.expected_arbitrator if arbitrator == ZERO else arbitrator
            others = [a.address for a in self.env.arbitrators if a.address != current]
            params = dataclasses.replace(params, expected_arbitrator=others[0])
        return self._create(requester, params, funding)

    @initialize(spec=TASK_SPECS)
    def first_task(self, spec: dict[str, Any]) -> None:
        self._create_from(spec)

    @initialize(spec=TASK_SPECS)
    def second_task(self, spec: dict[str, Any]) -> None:
        self._create_from(spec)

    @precondition(lambda self: len(self.model.tasks) < MAX_TASKS)
    @rule(spec=TASK_SPECS)
    def create(self, spec: dict[str, Any]) -> None:
        """Create a task: ETH or a token, funded by allowance or permit (an expired permit
        is ignored and the token then refuses), with receipt and claimable slots."""
        self._create_from(spec)

    @precondition(Driver.has_tasks)
    @rule(
        task=st.integers(0, 63),
        action=st.sampled_from(
            [
                "add slots",
                "add no slots",
                "extend",
                "extend to the same deadline",
                "bonus",
                "bonus of nothing",
                "reclaim receipt slots",
            ]
        ),
        stranger=st.sampled_from([False, False, True]),
        worker=st.integers(0, 63),
    )
    def manage(self, task: int, action: str, stranger: bool, worker: int) -> None:
        """The requester (or a stranger) adds slots, extends the deadline or pays a bonus;
        anyone reclaims unused receipt slots (mostly of a task whose window closed)."""
        chosen = self.pick_task(task)
        caller = self._requester_or_stranger(chosen, stranger)
        if action.startswith("add"):
            self._add_slots(chosen, 0 if action == "add no slots" else 1 + worker % 2, caller)
        elif action.startswith("extend"):
            delay = 0 if "same" in action else (1, 3_600, 200_000)[worker % 3]
            self._extend(chosen, chosen.deadline + delay, caller)
        elif action.startswith("bonus"):
            amount = 0 if action == "bonus of nothing" else 1 + 12_344 * (worker % 2)
            self._bonus(chosen, self.worker(worker), amount, caller)
        else:
            now = self.now()
            closed = [
                t
                for t in self.model.tasks.values()
                if has_ended(t.receipt_window_end, now) and not t.receipt_slots_reclaimed
            ]
            self._reclaim(
                pick_from(closed, task) if closed and worker % 4 else chosen, self.anyone(worker)
            )

    def _add_slots(self, task: TaskModel, count: int, caller: LocalAccount) -> TxReceipt | None:
        return self.do(
            "addSlots",
            lambda m, at: m.add_slots(at, caller.address, task.task_id, count),
            lambda: self.client(caller).add_slots(task.task_id, count),
        )[0]

    def _extend(self, task: TaskModel, deadline: int, caller: LocalAccount) -> TxReceipt | None:
        return self.do(
            "extendDeadline",
            lambda m, at: m.extend_deadline(at, caller.address, task.task_id, deadline),
            lambda: self.client(caller).extend_deadline(task.task_id, deadline),
        )[0]

    def _bonus(
        self, task: TaskModel, worker: LocalAccount, amount: int, caller: LocalAccount
    ) -> TxReceipt | None:
        return self.do(
            "bonus",
            lambda m, at: m.bonus(at, caller.address, task.task_id, worker.address, amount),
            lambda: self.client(caller).bonus(task.task_id, worker.address, amount),
        )[0]

    def _reclaim(self, task: TaskModel, caller: LocalAccount) -> TxReceipt | None:
        return self.do(
            "reclaimReceiptSlots",
            lambda m, at: m.reclaim(at, caller.address, task.task_id),
            lambda: self.client(caller).reclaim_receipt_slots(task.task_id),
        )[0]

    def _cancel(self, task: TaskModel, caller: LocalAccount) -> TxReceipt | None:
        return self.do(
            "cancel",
            lambda m, at: m.cancel(at, caller.address, task.task_id),
            lambda: self.client(caller).cancel(task.task_id),
        )[0]

    @precondition(lambda self: any(not t.cancelled for t in self.model.tasks.values()))
    @rule(task=st.integers(0, 63), who=st.sampled_from(["requester", "stranger", "again"]))
    def cancel(self, task: int, who: str) -> None:
        """Cancel a live task (or a stranger tries, or the requester cancels twice)."""
        live = [t for t in self.model.tasks.values() if not t.cancelled]
        cancelled = [t for t in self.model.tasks.values() if t.cancelled]
        pool = cancelled if who == "again" and cancelled else live
        chosen = pick_from(pool, task) if pool else self.pick_task(task)
        self._cancel(chosen, self._requester_or_stranger(chosen, who == "stranger"))

    # ================================================================ rules: worker

    def claimable(self) -> list[tuple[TaskModel, int]]:
        """Open or lapsed claimable slots of tasks still taking claims."""
        now = self.now()
        return [
            (task, index)
            for task in self.model.tasks.values()
            if takes_claims(now, deadline=task.deadline, cancelled=task.cancelled)
            for index, slot in enumerate(task.slots)
            if not is_receipt_slot(index, task.receipt_slots)
            and claimable(slot.state, slot.timestamp, now)
        ]

    @precondition(Driver.has_tasks)
    @rule(
        pick=st.integers(0, 63),
        worker=st.integers(0, 63),
        which=st.sampled_from(["open", "open", "open", "closed to claims", "any slot"]),
    )
    def claim(self, pick: int, worker: int, which: str) -> None:
        """Claim an open (or lapsed) claimable slot; or try one of a task that is past its
        deadline or cancelled; or any slot of any task."""
        claimable = self.claimable()
        now = self.now()
        closed = [
            t
            for t in self.model.tasks.values()
            if not takes_claims(now, deadline=t.deadline, cancelled=t.cancelled)
        ]
        if which == "open" and claimable:
            chosen, index = pick_from(claimable, pick)
        else:
            chosen = pick_from(closed, pick) if which != "any slot" and closed else None
            chosen = chosen or self.pick_task(pick)
            index = worker % (len(chosen.slots) + 1)
        self._claim(chosen, index, self.worker(worker))

    @precondition(lambda self: self.slots_in(SlotState.CLAIMED))
    @rule(
        pick=st.integers(0, 63),
        action=st.sampled_from(["submit", "submit", "submit nothing", "release"]),
        holder=st.sampled_from([True, True, True, False]),
    )
    def finish_claim(self, pick: int, action: str, holder: bool) -> None:
        """The holder (or someone else) submits a result, an empty one, or releases."""
        task, index = pick_from(self.slots_in(SlotState.CLAIMED), pick)
        account = self._holder(task, index, holder)
        if action == "release":
            self._release(task, index, account)
        else:
            self._submit(task, index, account, b"" if action == "submit nothing" else RESULT)

    @precondition(lambda self: any(t.receipt_slots for t in self.model.tasks.values()))
    @rule(
        task=st.integers(0, 63),
        picks=st.lists(st.integers(0, 63), min_size=1, max_size=2),
        worker=st.integers(0, 63),
        signer=st.sampled_from(["requester", "requester", "verifier", "verifier", "worker"]),
        submitted=st.sampled_from(["now", "now", "old", "deadline", "late", "future"]),
        expired=st.sampled_from([False, False, False, True]),
        presenter=st.integers(0, 63),
        replay=st.sampled_from([False, False, False, True]),
    )
    def present_receipts(
        self,
        task: int,
        picks: list[int],
        worker: int,
        signer: str,
        submitted: str,
        expired: bool,
        presenter: int,
        replay: bool,
    ) -> None:
        """Present one or two receipts (or replay one already presented)."""
        if replay and self.presented:
            self._present([pick_from(self.presented, task)], self.anyone(presenter))
            return
        chosen = pick_from([t for t in self.model.tasks.values() if t.receipt_slots], task)
        now = self.now()
        unused = self.open_receipt_slots(chosen)
        submitted_at = {
            "now": now,
            "old": now - chosen.review_period - 1,  # its review period is over already
            "deadline": chosen.deadline,
            "late": chosen.deadline + 1,
            "future": min(now + 100, chosen.deadline),
        }[submitted]
        signed = []
        for n, pick in enumerate(picks):
            # mostly an unused receipt slot; else any receipt slot, or the first claimable one
            use_unused = unused and pick % 5
            index = pick_from(unused, pick) if use_unused else pick % (chosen.receipt_slots + 1)
            account = self.worker(worker + n)
            signing = {
                "requester": self.account(chosen.requester),
                "verifier": self.env.verifier,
                "worker": account,
            }[signer]
            expiry = now - 1 if expired else now + 3_600
            signed.append(self._receipt(chosen, index, account, signing, submitted_at, expiry))
        self._present(signed, self.anyone(presenter))

    @precondition(lambda self: self.slots_in(SlotState.REJECTED, SlotState.DISPUTED))
    @rule(
        pick=st.integers(0, 63),
        holder=st.sampled_from([True, True, True, False]),
        cid=st.sampled_from([REASON, REASON, REASON, b""]),
    )
    def dispute(self, pick: int, holder: bool, cid: bytes) -> None:
        """Dispute a rejection (sometimes one already disputed)."""
        rejected = self.slots_in(SlotState.REJECTED)
        pool = rejected if rejected and pick % 6 else self.slots_in(SlotState.DISPUTED) or rejected
        task, index = pick_from(pool, pick)
        self._dispute(task, index, self._holder(task, index, holder), cid)

    # ================================================================ rules: review

    @precondition(lambda self: self.settleable())
    @rule(
        task=st.integers(0, 63),
        picks=st.lists(st.integers(0, 63), min_size=1, max_size=3),
        reviewer=st.sampled_from(["requester", "requester", "verifier", "verifier", "stranger"]),
        mismatch=st.sampled_from([False, False, False, True]),
        wild=st.sampled_from([False, False, False, True]),
    )
    def approve(
        self, task: int, picks: list[int], reviewer: str, mismatch: bool, wild: bool
    ) -> None:
        """Approve a batch: submitted, rejected, disputed or unused receipt slots."""
        chosen = self.pick_task(task)
        pairs = self.settle_pairs(chosen, picks, mismatch, wild)
        self._approve(chosen, pairs, self._reviewer(chosen, reviewer))

    @precondition(lambda self: self.settleable())
    @rule(
        task=st.integers(0, 63),
        picks=st.lists(st.integers(0, 63), min_size=1, max_size=3),
        signer=st.sampled_from(["requester", "requester", "verifier", "verifier", "stranger"]),
        expired=st.sampled_from([False, False, False, True]),
        mismatch=st.sampled_from([False, False, False, True]),
        replay=st.sampled_from([False, False, False, True]),
        relayer=st.integers(0, 63),
    )
    def approve_with_signature(
        self,
        task: int,
        picks: list[int],
        signer: str,
        expired: bool,
        mismatch: bool,
        replay: bool,
        relayer: int,
    ) -> None:
        """A signed approval relayed by the worker it pays (or a relayed one, relayed again:
        it pays nobody twice)."""
        if replay and self.signed_approvals:
            self._relay(pick_from(self.signed_approvals, task), self.anyone(relayer))
            return
        chosen = self.pick_task(task)
        pairs = self.settle_pairs(chosen, picks, mismatch, wild=False)
        now = self.now()
        signed = self._sign_approval(
            chosen, pairs, self._reviewer(chosen, signer), now - 1 if expired else now + 3_600
        )
        payee = next((a for a in self.accounts() if a.address == pairs[0][1]), self.workers[0])
        self._relay(signed, payee)

    @precondition(lambda self: self.settleable((SlotState.SUBMITTED,)))
    @rule(
        task=st.integers(0, 63),
        picks=st.lists(st.integers(0, 63), min_size=1, max_size=2),
        reviewer=st.sampled_from(["requester", "requester", "verifier", "verifier", "stranger"]),
        mismatch=st.sampled_from([False, False, False, True]),
        wild=st.sampled_from([False, False, False, True]),
        cid=st.sampled_from([REASON, REASON, REASON, b""]),
    )
    def reject(
        self, task: int, picks: list[int], reviewer: str, mismatch: bool, wild: bool, cid: bytes
    ) -> None:
        """Reject a batch: submitted or unused receipt slots (or, ``wild``, anything)."""
        chosen = self.pick_task(task)
        pairs = self.settle_pairs(chosen, picks, mismatch, wild, states=(SlotState.SUBMITTED,))
        self._reject(chosen, pairs, self._reviewer(chosen, reviewer), cid)

    @precondition(lambda self: any(t.receipt_slots for t in self.model.tasks.values()))
    @rule(
        task=st.integers(0, 63),
        picks=st.lists(st.integers(0, 63), min_size=1, max_size=2),
        reviewer=st.sampled_from(["requester", "verifier", "verifier", "stranger"]),
        signer=st.sampled_from(["requester", "verifier", "verifier", "worker"]),
        genuine=st.sampled_from([True, True, True, False]),
        cid=st.sampled_from([REASON, REASON, REASON, b""]),
    )
    def reject_receipts(
        self,
        task: int,
        picks: list[int],
        reviewer: str,
        signer: str,
        genuine: bool,
        cid: bytes,
    ) -> None:
        """Reject receipt slots with their proof (the receipt, and the worker's own signature
        of their submission; or a forged one, or naming a party or someone who never worked
        there: refused)."""
        chosen = pick_from([t for t in self.model.tasks.values() if t.receipt_slots], task)
        items = []
        for n, pick in enumerate(picks):
            index = pick % (chosen.receipt_slots + (pick % 7 == 0))  # sometimes a claimable one
            slot = chosen.slot(index)
            worker = self.account(slot.worker) if slot.worker != ZERO else self.worker(pick + n)
            signing = {
                "requester": self.account(chosen.requester),
                "verifier": self.env.verifier,
                "worker": worker,
            }[signer]
            items.append((index, worker, signing, genuine or n > 0))
        self._reject_receipts(chosen, items, self._reviewer(chosen, reviewer), cid)

    @precondition(lambda self: any(t.receipt_slots for t in self.model.tasks.values()))
    @rule(
        task=st.integers(0, 63),
        pick=st.integers(0, 63),
        worker=st.integers(0, 63),
        signer=st.sampled_from(["requester", "verifier", "worker"]),
        payer=st.integers(0, 63),
        caller=st.integers(0, 63),
    )
    def prove_equivocation(
        self, task: int, pick: int, worker: int, signer: str, payer: int, caller: int
    ) -> None:
        """A reviewer signs a second receipt for a slot another worker holds: its holder
        proves it and is paid through an open slot (or tries with a slot that is not)."""
        chosen = pick_from([t for t in self.model.tasks.values() if t.receipt_slots], task)
        held = [i for i in range(chosen.receipt_slots) if chosen.slots[i].worker != ZERO]
        index = pick_from(held, pick) if held and pick % 4 else pick % chosen.receipt_slots
        account = self.worker(worker)
        signing = {
            "requester": self.account(chosen.requester),
            "verifier": self.env.verifier,
            "worker": account,
        }[signer]
        now = self.now()
        signed = self._receipt(chosen, index, account, signing, min(now, chosen.deadline), now)
        open_slots = [i for i, s in enumerate(chosen.slots) if s.state == SlotState.OPEN]
        paid = pick_from(open_slots, payer) if open_slots and payer % 5 else payer % 8
        self._prove(signed, paid, self.anyone(caller))

    @precondition(lambda self: self.slots_in(SlotState.DISPUTED))
    @rule(
        pick=st.integers(0, 63),
        pay=st.booleans(),
        caller=st.sampled_from(["arbitrator", "arbitrator", "arbitrator", "requester"]),
        cid=st.sampled_from([REASON, REASON, b""]),
        undisputed=st.sampled_from([False, False, False, True]),
    )
    def rule_on_dispute(
        self, pick: int, pay: bool, caller: str, cid: bytes, undisputed: bool
    ) -> None:
        """The arbitrator rules (or someone else tries to; or on a slot not disputed)."""
        others = [(t, i) for t, i in self._all_slots() if t.slots[i].state != SlotState.DISPUTED]
        pool = others if undisputed and others else self.slots_in(SlotState.DISPUTED)
        task, index = pick_from(pool, pick)
        if caller == "arbitrator" and task.arbitrator != ZERO:
            account = self.account(task.arbitrator)
        else:
            account = self.account(task.requester)
        self._rule(task, index, account, pay, cid)

    @precondition(Driver.has_tasks)
    @rule(
        task=st.integers(0, 63),
        which=st.sampled_from(["due", "due", "all", "one"]),
        caller=st.integers(0, 63),
    )
    def finalize(self, task: int, which: str, caller: int) -> None:
        """Anyone applies what time decided: the due slots, every slot (one twice) or one."""
        now = self.now()
        with_due = [
            t
            for t in self.model.tasks.values()
            if any(self.model.due(now, t, i) for i in range(len(t.slots)))
        ]
        chosen = pick_from(with_due, task) if with_due and which == "due" else self.pick_task(task)
        everything = list(range(len(chosen.slots)))
        due = [i for i in everything if self.model.due(now, chosen, i)]
        indexes = {
            "due": due or everything[:1],
            "all": everything + everything[:1],  # a duplicate is skipped, not paid twice
            "one": [caller % (len(chosen.slots) + 1)],
        }[which]
        self._finalize(chosen, indexes, self.anyone(caller))

    # ================================================================ rules: a slot's life

    def _movable(self, states: tuple[SlotState, ...]) -> list[tuple[int, int]]:
        """Slots in ``states`` that can still move: held ones, open claimable slots of tasks
        taking claims, and unused receipt slots while receipts are open."""
        now = self.now()

        def movable(task: TaskModel, index: int, slot: SlotModel) -> bool:
            if slot.state not in states:
                return False
            if slot.state != SlotState.OPEN:
                return True
            if is_receipt_slot(index, task.receipt_slots):
                return task.receipt_window_open(now)
            takes = takes_claims(now, deadline=task.deadline, cancelled=task.cancelled)
            return takes and not self.model.paused

        return [
            (task.task_id, index)
            for task in self.model.tasks.values()
            for index, slot in enumerate(task.slots)
            if movable(task, index, slot)
        ]

    def _progress(
        self,
        states: tuple[SlotState, ...],
        fallback: tuple[SlotState, ...],
        pick: int,
        choices: list[int],
        *,
        contest: bool = False,
    ) -> None:
        """Take one slot in ``states`` (else ``fallback``, else any) up to five steps along
        its natural life (claim, submit or present, approve, reject, dispute, rule, or wait
        for a window to close and finalize); the checks run after each call, not only at
        the end of the step. ``contest``: reviewers reject and workers dispute."""
        candidates = (
            self._movable(states)
            or self._movable(fallback)
            or self._movable((*LIVE, SlotState.OPEN))
        )
        if not candidates:
            return
        task_id, index = pick_from(candidates, pick)
        for n, choice in enumerate(choices):
            if n:
                self.escrow_matches_the_model()
            if not self._progress_once(self.model.tasks[task_id], index, choice, contest):
                return

    # Three rules drive slots through their lives, so that long sequences (claim, submit,
    # reject, dispute, rule) are common even when swarm testing switches some rules off.

    @precondition(Driver.has_tasks)
    @rule(pick=st.integers(0, 255), choices=PROGRESS)
    def work_on_a_slot(self, pick: int, choices: list[int]) -> None:
        """From an open or claimed slot: claims, submissions, receipts, lapses."""
        self._progress((SlotState.OPEN, SlotState.CLAIMED), LIVE, pick, choices)

    @precondition(Driver.has_tasks)
    @rule(pick=st.integers(0, 255), choices=PROGRESS)
    def review_a_slot(self, pick: int, choices: list[int]) -> None:
        """From a submitted slot: approvals (direct or relayed), rejections, silence."""
        self._progress((SlotState.SUBMITTED,), (SlotState.CLAIMED,), pick, choices)

    @precondition(Driver.has_tasks)
    @rule(pick=st.integers(0, 255), choices=st.lists(st.integers(0, 255), min_size=3, max_size=5))
    def contest_a_slot(self, pick: int, choices: list[int]) -> None:
        """Rejections and disputes: rulings, timeouts, changes of mind."""
        self._progress(
            (SlotState.REJECTED, SlotState.DISPUTED),
            (SlotState.SUBMITTED,),
            pick,
            choices,
            contest=True,
        )

    def _progress_once(self, task: TaskModel, index: int, choice: int, contest: bool) -> bool:
        """One natural step for this slot; False once it has nowhere to go."""
        slot = task.slots[index]
        state = slot.state
        if state.final or (
            state == SlotState.OPEN and (task.cancelled or task.receipt_slots_reclaimed)
        ):
            return False
        receipt_slot = is_receipt_slot(index, task.receipt_slots)
        COVERAGE[("progress", state.name + (" receipt" if receipt_slot else ""))] += 1
        now = self.now()
        step, who = choice % 4, choice // 4
        due = self.model.due(now, task, index)
        anyone = self.anyone(who)
        reviewer = self.account(pick_from(task.reviewers, who))
        worker = self.account(slot.worker) if state in LIVE else self._free_worker(task, who)
        pair = [(index, worker.address)]
        if state == SlotState.OPEN and receipt_slot:
            if contest and step != 3:  # work received off chain, refused, with its proof
                self._reject_receipts(task, [(index, worker, reviewer, True)], reviewer, REASON)
            elif step in (0, 1):
                at = now - (task.review_period + 1 if who % 3 == 0 else 0)  # maybe long unreviewed
                signed = self._receipt(
                    task, index, worker, reviewer, min(at, task.deadline), now + 3_600
                )
                self._present([signed], worker if step else anyone)
            elif step == 2:
                self._approve(task, pair, reviewer)
            else:
                self._reject_receipts(task, [(index, worker, reviewer, True)], reviewer, REASON)
        elif state == SlotState.OPEN:
            self._claim(task, index, worker)
        elif due and not (contest and state == SlotState.REJECTED and step == 0):
            self._finalize(task, [index], anyone)  # lapse, silence, no dispute, no ruling
        elif state == SlotState.CLAIMED:
            if step == 0 and not contest:
                self._wait_past(task, index)  # the lease lapses
            elif step == 3:
                self._release(task, index, worker)
            else:
                self._submit(task, index, worker, RESULT)
        elif state == SlotState.SUBMITTED:
            if (contest and step != 3) or step == 2:
                self._reject(task, pair, reviewer, REASON)
            elif step == 0:
                self._approve(task, pair, reviewer)
            elif step == 1:
                signed = self._sign_approval(task, pair, reviewer, now + 600)
                self._relay(signed, worker)
            else:
                self._wait_past(task, index)  # silence
        elif state == SlotState.REJECTED:
            if (contest and step != 3) or step in (0, 1):
                self._dispute(task, index, worker, REASON)
            elif step == 2:
                self._wait_past(task, index)  # the rejection stands
            else:
                self._approve(task, pair, reviewer)  # a change of mind
        elif step in (0, 1) and task.arbitrator != ZERO:  # disputed
            self._rule(task, index, self.account(task.arbitrator), step == 0, REASON)
        elif step == 2 or task.arbitrator == ZERO:
            self._wait_past(task, index)  # the dispute goes unanswered
        else:
            self._approve(task, pair, reviewer)
        return True

    def _wait_until(self, moment: int) -> None:
        now = self.now()
        if moment > now:
            advance_time(self.w3, moment - now)

    def _window_end(self, task: TaskModel, index: int) -> int:
        end = self.model.window_end(task, index)
        assert end is not None, f"slot {index} of task {task.task_id} is in no window"
        return end

    def _wait_past(self, task: TaskModel, index: int) -> None:
        """Let the slot's window run out: at its last second finalizing the slot does
        nothing (the model says so, the escrow must agree); one second later it is due."""
        edge = self._window_end(task, index)
        self._wait_until(edge)
        if self.now() == edge:
            self._finalize(task, [index], self.env.owner)
        self._wait_until(edge + 1)

    # ================================================================ rules: ledger

    @precondition(lambda self: any(self.model.ledger.values()))
    @rule(
        who=st.integers(0, 63),
        token=st.integers(0, 2),
        amount=st.sampled_from(["all", "all", "half", "one", "more", "zero"]),
        to=st.sampled_from(["self", "sink", "sink", "other"]),
    )
    def withdraw(self, who: int, token: int, amount: str, to: str) -> None:
        """Withdraw all, part, more than the balance, or nothing, to oneself or elsewhere."""
        token_address = self.env.tokens[token]
        holders = [a for a in self.accounts() if self.model.balance(token_address, a.address)]
        account = pick_from(holders, who) if holders and who % 8 else self.anyone(who)
        balance = self.model.balance(token_address, account.address)
        value = {
            "all": balance,
            "half": balance // 2,
            "one": 1,
            "more": balance + 1,
            "zero": 0,
        }[amount]
        elsewhere = self.env.verifier if account != self.env.verifier else self.env.owner
        destination = {
            "self": account.address,
            "sink": self.env.sink,
            "other": elsewhere.address,
        }[to]
        self._withdraw(account, token_address, value, destination)

    def _withdraw(
        self, account: LocalAccount, token: str, value: int, destination: str
    ) -> TxReceipt | None:
        """Withdraw, and check the destination got exactly that (less gas if it paid)."""
        before = self._wallet(token, destination)
        receipt, _ = self.do(
            "withdraw",
            lambda m, at: m.withdraw(at, account.address, token, value, destination),
            lambda: self.client(account).withdraw(value, destination, token),
        )
        if receipt is not None:
            gained = self._wallet(token, destination) - before
            gas = self._gas(receipt, token) if destination == account.address else 0
            assert gained == value - gas, f"withdrew {value}, {destination} got {gained}"
        return receipt

    # ================================================================ rules: time and operator

    @rule(seconds=st.sampled_from(STEPS))
    def pass_time(self, seconds: int) -> None:
        """Time jumps by a set amount: a second, a lease, a review period, a day."""
        advance_time(self.w3, seconds)

    @precondition(Driver.has_tasks)
    @rule(
        kind=st.sampled_from(["deadline", "receipts", "lease", "review", "dispute", "arbitration"]),
        pick=st.integers(0, 255),
        offset=st.sampled_from([0, 1]),
    )
    def reach_an_edge(self, kind: str, pick: int, offset: int) -> None:
        """Time jumps so that the next calls run at a window's last second (offset 0) or
        the first second after it (offset 1), and the calls that window decides are tried
        right there: the model knows which side of the edge they are on."""
        model = self.model
        edges: list[tuple[int, TaskModel, int]]
        if kind in ("deadline", "receipts"):
            edges = [
                (t.receipt_window_end if kind == "receipts" else t.deadline, t, -1)
                for t in model.tasks.values()
            ]
        else:
            state = {
                "lease": SlotState.CLAIMED,
                "review": SlotState.SUBMITTED,
                "dispute": SlotState.REJECTED,
                "arbitration": SlotState.DISPUTED,
            }[kind]
            edges = [(self._window_end(t, i), t, i) for t, i in self.slots_in(state)]
        now = self.now()
        edges = [(edge + offset, t, i) for edge, t, i in edges if edge + offset > now]
        if not edges:
            return
        moment, task, index = pick_from(edges, pick)
        advance_time(self.w3, moment - now)
        probes = self._probes(kind, task, index, pick)
        for n, probe in enumerate(probes if pick % 2 else reversed(probes)):
            if n:
                self.escrow_matches_the_model()
            probe()

    def _probes(
        self, kind: str, task: TaskModel, index: int, pick: int
    ) -> list[Callable[[], object]]:
        """The calls a window decides: the action it allows, and what time does after it."""
        anyone = self.anyone(pick)
        slot = task.slot(index)
        worker = self.account(slot.worker) if index >= 0 else self._free_worker(task, pick)
        reviewer = self.account(pick_from(task.reviewers, pick))
        unused = self.open_receipt_slots(task)
        finalize = lambda: self._finalize(task, [index], anyone)  # noqa: E731
        if kind == "deadline":
            claimable = [
                i
                for i in range(task.receipt_slots, len(task.slots))
                if task.slots[i].state == SlotState.OPEN
            ]
            claim_at = pick_from(claimable, pick) if claimable else task.receipt_slots
            probes: list[Callable[[], object]] = [lambda: self._claim(task, claim_at, worker)]
            if unused:  # a receipt for work that arrived at the very deadline
                signed = self._receipt(
                    task, unused[0], worker, reviewer, task.deadline, task.deadline + 3_600
                )
                probes.append(lambda: self._present([signed], anyone))
            return probes
        if kind == "receipts":
            probes = [lambda: self._reclaim(task, anyone)]
            if unused:
                probes.append(lambda: self._approve(task, [(unused[0], worker.address)], reviewer))
            return probes
        if kind == "lease":
            return [lambda: self._submit(task, index, worker, RESULT), finalize]
        if kind == "review":
            return [
                lambda: self._reject(task, [(index, worker.address)], reviewer, REASON),
                finalize,
            ]
        if kind == "dispute":
            return [lambda: self._dispute(task, index, worker, REASON), finalize]
        return [finalize]  # an unanswered dispute

    @precondition(lambda self: self.operations < 6)
    @rule(
        action=st.sampled_from(
            [
                "fee 0",
                "fee 250",
                "fee 1000",
                "fee 1001",
                "fee by a stranger",
                "arbitrator 0",
                "arbitrator 1",
                "no arbitrator",
                "minimum fee",
                "no minimum fee",
                "pause or unpause",
                "pause twice",
                "pause by a stranger",
            ]
        )
    )
    def operate(self, action: str) -> None:
        """The owner (or a stranger) sets the fee or default arbitrator, pauses or unpauses."""
        self.operations += 1
        owner = self.env.owner
        account = self.workers[0] if "stranger" in action else owner
        client = self.client(account)
        if action.startswith("fee"):
            fee = 250 if "stranger" in action else int(action.split()[1])
            self.do(
                "setFee",
                lambda m, at: m.set_fee(at, account.address, fee),
                lambda: client.set_fee(fee),
            )
        elif "minimum fee" in action:
            token = self.env.tokens[self.operations % len(self.env.tokens)]
            amount = 0 if action.startswith("no") else 3
            self.do(
                "setMinimumFee",
                lambda m, at: m.set_minimum_fee(at, owner.address, token, amount),
                lambda: client.set_minimum_fee(amount, token),
            )
        elif "arbitrator" in action:
            arbitrator = (
                ZERO
                if action == "no arbitrator"
                else self.env.arbitrators[int(action.split()[1])].address
            )
            self.do(
                "setDefaultArbitrator",
                lambda m, at: m.set_default_arbitrator(at, owner.address, arbitrator),
                lambda: client.set_default_arbitrator(arbitrator),
            )
        else:
            pause = self.model.paused if action == "pause twice" else not self.model.paused
            self.do(
                "pause" if pause else "unpause",
                lambda m, at: m.set_paused(at, account.address, pause),
                client.pause if pause else client.unpause,
            )

    @precondition(lambda self: self.fresh)
    @rule()
    def new_worker(self) -> None:
        """A brand-new account, with gas and nothing else, joins the workers."""
        account = self.fresh.pop(0)
        self.env.world.fund_worker(account)
        self.workers.append(account)

    # ================================================================ invariants

    @invariant()
    def escrow_matches_the_model(self) -> None:
        """The whole escrow, read from the chain, against the model (P1-P3, P5)."""
        checks.escrow_matches_the_model(self)
