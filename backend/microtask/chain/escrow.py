"""A typed client for TaskEscrow, used by the CLI, the indexer and the verifier.

It speaks Python values (dataclasses, enums, ints of the token's smallest unit) and sends
every transaction through a `TransactionSender`, so reverts arrive as `TransactionReverted`
with the contract's custom error decoded. One client is bound to one signer; ``as_signer``
gives a client for another.

The escrow's values and rules (`Task`, `Slot`, fees, windows) are the domain's,
`microtask.escrow`; this module only moves them to and from the chain. Structs are read
by their ABI field names and written as dicts by field name, never by position.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any, Final, Self

from eth_abi.abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.abi import function_abi_to_4byte_selector, get_abi_input_types
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3RPCError, Web3TypeError
from web3.logs import DISCARD
from web3.providers.base import JSONBaseProvider
from web3.types import RPCEndpoint, TxParams, TxReceipt

from microtask.chain.calldata import FunctionEncoder, function_encoders
from microtask.chain.deployments import DeploymentStore
from microtask.chain.erc20 import ERC20_ABI, ensure_allowance, sign_permit
from microtask.chain.returndata import StaticDecoder
from microtask.chain.transactions import TransactionSender
from microtask.chain.typed_data import Approval, Receipt, ReceiptRejection
from microtask.encoding.eip712 import sign
from microtask.escrow import (
    ETH,
    Reputation,
    Slot,
    Task,
    TaskParams,
    TaskParamsStruct,
)


def _abi_params(params: TaskParams) -> TaskParamsStruct:
    """``TaskParams`` as web3 takes the struct: by field name, addresses checksummed."""
    values = params.as_abi()
    values["token"] = Web3.to_checksum_address(values["token"])
    values["verifier"] = Web3.to_checksum_address(values["verifier"])
    values["arbitrator"] = Web3.to_checksum_address(values["arbitrator"])
    values["expectedArbitrator"] = Web3.to_checksum_address(values["expectedArbitrator"])
    return values


SLOTS_PER_BATCH: Final = 200
"""``getSlot`` calls in one JSON-RPC batch (`TaskEscrowClient.slots`): well under what
nodes accept in one request (geth's default limit is 1,000)."""


def _slots_and_workers(pairs: Sequence[tuple[int, str]]) -> tuple[list[int], list[ChecksumAddress]]:
    return [slot for slot, _ in pairs], [Web3.to_checksum_address(w) for _, w in pairs]


class TaskEscrowClient:
    """TaskEscrow at one address, acting as one signer."""

    def __init__(self, contract: Contract, sender: TransactionSender) -> None:
        self.contract = contract
        self.sender = sender
        self._field_names: dict[str, list[str]] = {}
        if ERC20_ABI not in sender.error_abis:
            sender.error_abis.append(ERC20_ABI)  # token reverts bubble up through SafeERC20

    @classmethod
    def at(cls, w3: Web3, address: str, abi: list[dict[str, Any]], signer: LocalAccount) -> Self:
        contract = w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)
        return cls(contract, TransactionSender(w3, signer))

    @classmethod
    def from_deployment(cls, w3: Web3, store: DeploymentStore, signer: LocalAccount) -> Self:
        store.guard_chain_id(w3.eth.chain_id)
        record = store.load_escrow()
        return cls.at(w3, record.address, record.abi, signer)

    def as_signer(self, signer: LocalAccount) -> TaskEscrowClient:
        """The same escrow, acting as ``signer``."""
        return TaskEscrowClient(
            self.contract, TransactionSender(self.w3, signer, self.sender.error_abis)
        )

    @property
    def w3(self) -> Web3:
        return self.sender.w3

    @property
    def address(self) -> ChecksumAddress:
        return self.contract.address

    @property
    def account(self) -> LocalAccount:
        return self.sender.account

    # ------------------------------------------------------------ calls

    @cached_property
    def _encoders(self) -> dict[str, FunctionEncoder]:
        return function_encoders(self.contract.abi)

    def build(self, function: str, *args: Any, value: int = 0) -> TxParams:
        """A complete, unsigned transaction calling ``function(*args)``, its calldata
        encoded from the ABI directly (`calldata`: the same bytes as web3's, without
        milliseconds of web3's argument mapping per batch of slots); raises
        `TransactionReverted` if the chain would refuse it."""
        data = self._encoders[function].encode(*args)
        return self.sender.build_call(self.address, data, self.contract.abi, value=value)

    # ------------------------------------------------------------ views

    def _returned(self, function: str, values: Sequence[object]) -> dict[str, object]:
        """A struct ``function`` returned, by the field names its ABI gives."""
        names = self._field_names.get(function)
        if names is None:
            [output] = self.contract.get_function_by_name(function).abi["outputs"]
            names = self._field_names[function] = [c["name"] for c in output["components"]]
        if len(names) != len(values):
            raise ValueError(f"{function} returned {len(values)} fields, its ABI names {names}")
        return dict(zip(names, values, strict=True))

    def task(self, task_id: int) -> Task:
        values = self.contract.functions.getTask(task_id).call()
        return Task.from_abi(self._returned("getTask", values))

    def slot(self, task_id: int, slot: int) -> Slot:
        values = self.contract.functions.getSlot(task_id, slot).call()
        return Slot.from_abi(self._returned("getSlot", values))

    def slots(self, task_id: int, slots: Sequence[int]) -> list[Slot]:
        """``getSlot`` for each of ``slots``, in one JSON-RPC batch of at most
        `SLOTS_PER_BATCH` calls where the node takes batches (one round trip instead of one
        per slot: the verifier reads every slot it is about to settle); one by one on a
        provider without batches (the in-process test chain)."""
        if not self._batches:
            return [self.slot(task_id, slot) for slot in slots]
        found: list[Slot] = []
        for start in range(0, len(slots), SLOTS_PER_BATCH):
            found += self._slot_batch(task_id, slots[start : start + SLOTS_PER_BATCH])
        return found

    def _slot_batch(self, task_id: int, slots: Sequence[int]) -> list[Slot]:
        """One batch of ``getSlot`` ``eth_call``s, encoded and decoded with the ABI
        directly: web3's contract functions spend milliseconds per call building and
        formatting it (the verifier reads every slot it settles), for the same request
        and the same decoded values (addresses checksummed, as web3 returns them; read
        word by word, `returndata`)."""
        selector, inputs, outputs = self._get_slot_abi
        to = self.contract.address
        requests = [
            (
                RPCEndpoint("eth_call"),
                [{"to": to, "data": "0x" + (selector + abi_encode(inputs, (task_id, slot))).hex()},
                 "latest"],
            )
            for slot in slots
        ]  # fmt: skip
        if not requests:
            return []
        provider = self.contract.w3.provider  # the node the reads go to
        if not isinstance(provider, JSONBaseProvider):  # `_batches` said it takes batches
            raise Web3TypeError(f"{type(provider).__name__} does not take JSON-RPC batches")
        responses = provider.make_batch_request(requests)  # in request order
        if not isinstance(responses, list):  # the node refused the batch as a whole
            raise Web3RPCError(f"getSlot batch refused: {responses.get('error')}")
        found = []
        for slot, response in zip(slots, responses, strict=True):
            if "error" in response or "result" not in response:
                raise Web3RPCError(f"getSlot({task_id}, {slot}) failed: {response.get('error')}")
            values = outputs.decode(HexBytes(response["result"]))
            found.append(Slot.from_abi(self._returned("getSlot", values)))
        return found

    @cached_property
    def _get_slot_abi(self) -> tuple[bytes, list[str], StaticDecoder]:
        """``getSlot``'s selector, input types and the decoder of what it returns."""
        abi = self.contract.get_function_by_name("getSlot").abi
        return (
            function_abi_to_4byte_selector(abi),
            get_abi_input_types(abi),
            StaticDecoder(abi["outputs"]),
        )

    @cached_property
    def _batches(self) -> bool:
        """Whether the provider takes JSON-RPC batches (an HTTP node does; eth-tester not)."""
        w3 = self.contract.w3
        try:
            with w3.batch_requests() as batch:
                batch.add(w3.eth.get_block_number())
                batch.execute()
        except Web3TypeError:
            return False
        return True

    def balance(self, account: str, token: str = ETH) -> int:
        return int(
            self.contract.functions.balanceOf(
                Web3.to_checksum_address(token), Web3.to_checksum_address(account)
            ).call()
        )

    def reputation(self, worker: str, token: str = ETH) -> Reputation:
        """The worker's record in tasks paid in ``token``."""
        values = self.contract.functions.reputationOf(
            Web3.to_checksum_address(worker), Web3.to_checksum_address(token)
        ).call()
        return Reputation.from_abi(self._returned("reputationOf", values))

    def task_count(self) -> int:
        return int(self.contract.functions.taskCount().call())

    def fee_bps(self) -> int:
        return int(self.contract.functions.feeBps().call())

    def treasury(self) -> str:
        return str(self.contract.functions.treasury().call())

    def default_arbitrator(self) -> str:
        return str(self.contract.functions.defaultArbitrator().call())

    def owner(self) -> str:
        """The escrow's owner: the one address its operator settings obey."""
        return str(self.contract.functions.owner().call())

    def paused(self) -> bool:
        """Whether new tasks and claims are stopped (settlement goes on)."""
        return bool(self.contract.functions.paused().call())

    def minimum_fee(self, token: str = ETH) -> int:
        """The minimum fee per paid slot of new tasks in ``token``."""
        return int(self.contract.functions.minimumFee(Web3.to_checksum_address(token)).call())

    def fee_for(self, token: str, reward: int) -> int:
        """The fee per paid slot a new task paying ``reward`` in ``token`` gets now."""
        return int(self.contract.functions.feeFor(Web3.to_checksum_address(token), reward).call())

    def version(self) -> int:
        return int(self.contract.functions.version().call())

    def dispute_window(self) -> int:
        return int(self.contract.functions.disputeWindow().call())

    def arbitration_timeout(self) -> int:
        return int(self.contract.functions.arbitrationTimeout().call())

    def logs(
        self, event: str, *, from_block: int, task_id: int | None = None
    ) -> list[dict[str, Any]]:
        """Decoded ``event`` logs since ``from_block``, for one task when ``task_id`` is given.

        For clients without an indexer at hand; the API serves the same from its database.
        """
        filters = {} if task_id is None else {"taskId": task_id}
        found = getattr(self.contract.events, event)().get_logs(
            from_block=from_block, argument_filters=filters
        )
        return [
            {
                **dict(log["args"]),
                "blockNumber": log["blockNumber"],
                "transactionHash": log["transactionHash"].to_0x_hex(),
            }
            for log in found
        ]

    def funding_for(self, params: TaskParams) -> int:
        """What creating ``params`` costs at the current fee."""
        return params.slots * (params.reward + self.fee_for(params.token, params.reward))

    def guarded(self, params: TaskParams) -> TaskParams:
        """``params`` with the front-running guard filled in from what the chain says now (the
        fee, and the default arbitrator if the task takes it): an owner's change between now
        and the transaction's inclusion reverts it instead of applying to it."""
        return params.guarded(self.fee_for(params.token, params.reward), self.default_arbitrator())

    # ------------------------------------------------------------ requester

    def create_task(
        self, params: TaskParams, *, approve_token: bool = True
    ) -> tuple[int, TxReceipt]:
        """Create and fund a task; for an ERC-20, approve the escrow first if needed."""
        params = self.guarded(params)
        total = self.funding_for(params)
        value = total if params.token == ETH else 0
        if params.token != ETH and approve_token:
            ensure_allowance(self.sender, params.token, self.address, total)
        receipt = self.sender.transact(
            self.contract.functions.createTask(_abi_params(params)), value=value
        )
        return self._task_id(receipt), receipt

    def create_task_with_permit(
        self, params: TaskParams, permit_deadline: int
    ) -> tuple[int, TxReceipt]:
        """Create an ERC-20 task funded by an EIP-2612 permit: one transaction, no approve."""
        params = self.guarded(params)
        total = self.funding_for(params)
        v, r, s = sign_permit(
            self.w3, self.account, params.token, self.address, total, permit_deadline
        )
        receipt = self.sender.transact(
            self.contract.functions.createTaskWithPermit(
                _abi_params(params), permit_deadline, v, r, s
            )
        )
        return self._task_id(receipt), receipt

    def _task_id(self, receipt: TxReceipt) -> int:
        # the token's own logs (Transfer, Approval) are in the receipt too: skip them quietly
        [event] = self.contract.events.TaskCreated().process_receipt(receipt, errors=DISCARD)
        return int(event["args"]["taskId"])

    def add_slots(self, task_id: int, count: int) -> TxReceipt:
        task = self.task(task_id)
        funded = count * task.per_slot
        if task.token != ETH:
            ensure_allowance(self.sender, task.token, self.address, funded)
        return self.sender.transact(
            self.contract.functions.addSlots(task_id, count),
            value=funded if task.token == ETH else 0,
        )

    def extend_deadline(self, task_id: int, deadline: int) -> TxReceipt:
        return self.sender.transact(self.contract.functions.extendDeadline(task_id, deadline))

    def cancel(self, task_id: int) -> TxReceipt:
        return self.sender.transact(self.contract.functions.cancel(task_id))

    def reclaim_receipt_slots(self, task_id: int) -> TxReceipt:
        return self.sender.transact(self.contract.functions.reclaimReceiptSlots(task_id))

    def bonus(self, task_id: int, worker: str, amount: int) -> TxReceipt:
        token = self.task(task_id).token
        if token != ETH:
            ensure_allowance(self.sender, token, self.address, amount)
        return self.sender.transact(
            self.contract.functions.bonus(task_id, Web3.to_checksum_address(worker), amount),
            value=amount if token == ETH else 0,
        )

    # ------------------------------------------------------------ worker

    def claim(self, task_id: int, slot: int) -> TxReceipt:
        return self.sender.transact(self.contract.functions.claim(task_id, slot))

    def release(self, task_id: int, slot: int) -> TxReceipt:
        return self.sender.transact(self.contract.functions.release(task_id, slot))

    def submit(self, task_id: int, slot: int, result_cid: bytes) -> TxReceipt:
        return self.sender.transact(self.contract.functions.submit(task_id, slot, result_cid))

    def present_receipts(self, signed: Sequence[tuple[Receipt, bytes]]) -> TxReceipt:
        return self.sender.transact(
            self.contract.functions.presentReceipts(
                [receipt.message() for receipt, _ in signed], [sig for _, sig in signed]
            )
        )

    def prove_equivocation(
        self,
        receipt: Receipt,
        signature: bytes,
        paid_slot: int,
        batch: Sequence[tuple[int, str]] = (),
    ) -> TxReceipt:
        """Be paid for a receipt whose slot went to another worker, through ``paid_slot`` (an
        open slot of the task); ``batch``: the ``SlotsApproved`` pairs of the batch that paid
        the slot without its receipt (empty when another worker holds it on chain)."""
        slots, workers = _slots_and_workers(batch)
        return self.sender.transact(
            self.contract.functions.proveEquivocation(
                receipt.message(), signature, slots, workers, paid_slot
            )
        )

    def dispute(self, task_id: int, slot: int, reason_cid: bytes) -> TxReceipt:
        return self.sender.transact(self.contract.functions.dispute(task_id, slot, reason_cid))

    def withdraw(self, amount: int, to: str | None = None, token: str = ETH) -> TxReceipt:
        destination = Web3.to_checksum_address(to or self.account.address)
        return self.sender.transact(
            self.contract.functions.withdraw(Web3.to_checksum_address(token), amount, destination)
        )

    # ------------------------------------------------------------ review

    def approve(
        self, task_id: int, pairs: Sequence[tuple[int, str]], *, direct: bool = False
    ) -> TxReceipt:
        """Approve ``(slot, worker)`` pairs in one transaction (``direct``: paying each
        reward to the worker's own address rather than to the ledger)."""
        slots, workers = _slots_and_workers(pairs)
        return self.sender.send(self.build("approve", task_id, slots, workers, direct))

    def reject(
        self, task_id: int, pairs: Sequence[tuple[int, str]], reason_cid: bytes
    ) -> TxReceipt:
        slots, workers = _slots_and_workers(pairs)
        return self.sender.send(self.build("reject", task_id, slots, workers, reason_cid))

    def reject_receipts(
        self, task_id: int, rejections: Sequence[ReceiptRejection], reason_cid: bytes
    ) -> TxReceipt:
        """Reject receipt slots, each with its receipt and its worker's signature."""
        messages = [r.message() for r in rejections]
        return self.sender.send(self.build("rejectReceipts", task_id, messages, reason_cid))

    def approve_with_signature(self, approval: Approval, signature: bytes) -> TxReceipt:
        return self.sender.transact(
            self.contract.functions.approveWithSignature(approval.message(), signature)
        )

    def rule(self, task_id: int, slot: int, pay: bool, reason_cid: bytes = b"") -> TxReceipt:
        return self.sender.transact(self.contract.functions.rule(task_id, slot, pay, reason_cid))

    def finalize(self, task_id: int, slots: Sequence[int]) -> TxReceipt:
        return self.sender.transact(self.contract.functions.finalize(task_id, list(slots)))

    def sign_receipt(self, receipt: Receipt) -> bytes:
        """This signer's EIP-712 signature of ``receipt`` for this escrow."""
        return sign(self.account, receipt.signable(self.w3.eth.chain_id, self.address))

    def sign_approval(self, approval: Approval) -> bytes:
        return sign(self.account, approval.signable(self.w3.eth.chain_id, self.address))

    # ------------------------------------------------------------ operator

    def set_fee(self, fee_bps: int) -> TxReceipt:
        return self.sender.transact(self.contract.functions.setFee(fee_bps))

    def set_treasury(self, treasury: str) -> TxReceipt:
        return self.sender.transact(
            self.contract.functions.setTreasury(Web3.to_checksum_address(treasury))
        )

    def set_default_arbitrator(self, arbitrator: str) -> TxReceipt:
        return self.sender.transact(
            self.contract.functions.setDefaultArbitrator(Web3.to_checksum_address(arbitrator))
        )

    def set_minimum_fee(self, amount: int, token: str = ETH) -> TxReceipt:
        return self.sender.transact(
            self.contract.functions.setMinimumFee(Web3.to_checksum_address(token), amount)
        )

    def pause(self) -> TxReceipt:
        return self.sender.transact(self.contract.functions.pause())

    def unpause(self) -> TxReceipt:
        return self.sender.transact(self.contract.functions.unpause())
