// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ITaskEscrowTypes} from "./interfaces/ITaskEscrow.sol";

/// @title TaskEscrowBase
/// @notice What both halves of the escrow share: its storage, in one layout (TaskEscrow runs
///         TaskEscrowExtension's code on its own storage by delegatecall), and the internal
///         rules both apply. Each half compiles only the helpers it uses.
/// @dev Money invariant (docs/architecture.md, P1): for each token, the escrow's balance
///      equals the sum of ledger balances plus every task's `escrow`. Each slot holds `reward + fee` of its
///      task's escrow until it is paid (reward to the worker, fee to the treasury) or closed
///      (both back to the requester), and a slot reaches a final state at most once (P2).
///
///      Receipts (version 2). A receipt slot is filled by a receipt: presented on chain (its
///      worker then holds the slot's live word), approved without it in a batch (the fast path:
///      only the slot's bits change, and the batch's hash is kept), or rejected with it plus the
///      worker's `Submission` signature. A receipt slot's live word keeps its worker once the
///      slot is paid or closed, so who held a slot stays provable; a batch that paid slots
///      without their receipts is kept as one hash, keyed by its first paid slot (a slot is paid
///      at most once, so the key is unique). A receipt whose slot went to another worker is
///      paid through an open slot of the task (`proveEquivocation`).
///
///      Gas layout. Each slot has two bits in a per-task bitmap (128 slots a word): final
///      states live there, so a settled claimable slot's own word is deleted; a receipt slot's
///      bits also say whether it has a live word at all, so settling an unpresented receipt
///      slot never reads one. A worker's balance and record in a token share one word, so
///      paying a slot writes one word per worker. Batch totals (escrow, fees, receipt slots
///      used) are written once per call, and a batch writes each bitmap word once.
abstract contract TaskEscrowBase is ITaskEscrowTypes, Ownable2Step, Pausable, ReentrancyGuardTransient, EIP712 {
    using SafeERC20 for IERC20;

    /// @notice The highest fee rate the owner can set: 10%.
    uint16 public constant MAX_FEE_BPS = 1000;
    /// @notice The most slots a task can have.
    uint32 public constant MAX_SLOTS = 1_000_000;
    /// @notice The longest review period or lease.
    uint32 public constant MAX_PERIOD = 365 days;
    /// @notice Gas each direct payment is given: enough for any ordinary token transfer or
    ///         wallet, bounded so that no recipient can make a batch run out of gas.
    uint256 public constant DIRECT_PAYMENT_GAS = 60_000;

    uint16 internal constant _VERSION = 2;
    bytes32 internal constant _RECEIPT_TYPEHASH = keccak256(
        "Receipt(uint256 taskId,uint32 slot,address worker,bytes32 resultDigest,uint64 submittedAt,uint64 expiry)"
    );
    bytes32 internal constant _APPROVAL_TYPEHASH =
        keccak256("Approval(uint256 taskId,uint32[] slots,address[] workers,bool direct,uint64 expiry)");
    bytes32 internal constant _SUBMISSION_TYPEHASH =
        keccak256("Submission(uint256 taskId,uint256 slot,address worker,bytes32 envelopeHash)");

    uint256 internal constant _BPS = 10_000;
    // Slot bits: UNSET means "ask the slot's word" for claimable slots and "open" for receipt
    // slots; LIVE means a receipt slot's word holds its state.
    uint256 internal constant _BITS_UNSET = 0;
    uint256 internal constant _BITS_LIVE = 1;
    uint256 internal constant _BITS_APPROVED = 2;
    uint256 internal constant _BITS_CLOSED = 3;
    // Gas a direct payment needs left before it is sent: its own gas, the 1/64 the EVM keeps
    // back, and the call's costs (a value transfer to a new account included).
    uint256 internal constant _DIRECT_PAYMENT_RESERVE = DIRECT_PAYMENT_GAS * 64 / 63 + 40_000;

    /// @dev A live slot: one storage word.
    struct Slot {
        address worker;
        SlotState state;
        uint64 timestamp;
    }

    /// @dev A ledger entry: a balance and the account's record in that token, in one word.
    struct Account {
        uint128 balance;
        uint32 approved;
        uint32 rejected;
        uint32 disputesWon;
        uint32 disputesLost;
    }

    /// @dev Slots paid by one call: booked together, announced in one event. Carries the
    ///      task fields every payment reads, so a batch reads them from storage once.
    struct PaidSlots {
        uint32[] slots;
        address[] workers;
        uint256 count;
        uint32 receiptSlotsUsed;
        bool direct;
        address token;
        uint128 reward;
        address requester;
        address verifier;
        address arbitrator;
    }

    /// @dev Seconds a rejected worker has to dispute; also how long after the receipt window
    ///      equivocation can still be proven.
    uint32 internal immutable _disputeWindow;
    /// @dev Seconds the arbitrator has to rule before a dispute pays the worker.
    uint32 internal immutable _arbitrationTimeout;

    uint256 internal _taskCount;
    address internal _treasury;
    uint16 internal _feeBps;
    address internal _defaultArbitrator;

    // Slither's uninitialized-state on the next three is a false positive: they are written
    // through storage pointers (`Task storage task = _tasks[id]`, `_setBits`'s word map), and
    // `_minimumFees` by TaskEscrowExtension.setMinimumFee, on this same storage.
    // slither-disable-next-line uninitialized-state
    mapping(uint256 taskId => Task) internal _tasks;
    mapping(uint256 taskId => mapping(uint256 slot => Slot)) internal _slots;
    // slither-disable-next-line uninitialized-state
    mapping(uint256 taskId => mapping(uint256 word => uint256 bits)) internal _slotBits;
    mapping(uint256 taskId => mapping(address worker => bool)) internal _holdsSlot;
    mapping(address token => mapping(address account => Account)) internal _accounts;
    // slither-disable-next-line uninitialized-state
    mapping(address token => uint128) internal _minimumFees;
    /// @dev keccak256(keccak256(slots), keccak256(workers)) of each batch that paid receipt
    ///      slots without their receipts, by task and the batch's first paid slot.
    mapping(uint256 taskId => mapping(uint256 firstSlot => bytes32)) internal _batchHashes;
    /// @dev Receipt holders paid for equivocation, by keccak256(taskId, slot, worker).
    mapping(bytes32 holder => bool) internal _equivocationPaid;

    /// @param initialOwner The operator.
    /// @param disputeWindow_ Seconds a rejected worker has to dispute.
    /// @param arbitrationTimeout_ Seconds the arbitrator has to rule.
    constructor(address initialOwner, uint32 disputeWindow_, uint32 arbitrationTimeout_)
        Ownable(initialOwner)
        EIP712("microtask", "1")
    {
        if (disputeWindow_ == 0 || disputeWindow_ > MAX_PERIOD) revert InvalidDisputeWindow(disputeWindow_);
        if (arbitrationTimeout_ == 0 || arbitrationTimeout_ > MAX_PERIOD) {
            revert InvalidArbitrationTimeout(arbitrationTimeout_);
        }
        _disputeWindow = disputeWindow_;
        _arbitrationTimeout = arbitrationTimeout_;
    }

    function _createTask(TaskParams calldata params) internal returns (uint256 taskId) {
        _validate(params);
        uint256 fee = _feeFor(params.token, params.reward);
        if (fee > params.maxFee) revert FeeAboveMaximum(fee, params.maxFee);
        address arbitrator = _arbitratorOf(params);
        uint256 total = uint256(params.slots) * (params.reward + fee);
        taskId = ++_taskCount;
        Task storage task = _tasks[taskId];
        task.requester = msg.sender;
        task.deadline = params.deadline;
        task.slotCount = params.slots;
        task.token = params.token;
        task.reviewPeriod = params.reviewPeriod;
        task.lease = params.lease;
        task.feeBps = _feeBps;
        task.verifier = params.verifier;
        task.receiptSlots = params.receiptSlots;
        task.openSlots = params.slots - params.receiptSlots;
        task.arbitrator = arbitrator;
        task.minApproved = params.minApproved;
        task.minApprovalBps = params.minApprovalBps;
        task.reward = params.reward;
        task.escrow = SafeCast.toUint128(total);
        task.fee = uint128(fee); // at most maxFee
        emit TaskCreated(taskId, msg.sender, params.token, params.manifestCid, task);
        _collect(params.token, total);
    }
    /// @dev The task's arbitrator: its own, or the default the requester expected. Never one
    ///      of the task's own reviewers: a requester (or its verifier) judging its own dispute
    ///      would make every rejection final.
    function _arbitratorOf(TaskParams calldata params) internal view returns (address arbitrator) {
        arbitrator = params.arbitrator;
        address expected = params.expectedArbitrator;
        if (arbitrator == address(0)) {
            arbitrator = _defaultArbitrator;
            if (expected != arbitrator) revert ArbitratorChanged(expected, arbitrator);
        } else if (expected != address(0) && expected != arbitrator) {
            revert ArbitratorChanged(expected, arbitrator);
        }
        if (arbitrator == msg.sender || arbitrator == params.verifier) revert ArbitratorIsParty(arbitrator);
    }
    function _validate(TaskParams calldata params) internal view {
        if (params.manifestCid.length == 0) revert EmptyManifest();
        if (params.reward == 0) revert InvalidReward();
        if (params.slots == 0 || params.slots > MAX_SLOTS || params.receiptSlots > params.slots) {
            revert InvalidSlotCount(params.slots, params.receiptSlots);
        }
        if (params.deadline <= block.timestamp) revert InvalidDeadline(params.deadline, uint64(block.timestamp));
        if (
            params.reviewPeriod == 0 || params.reviewPeriod > MAX_PERIOD || params.lease == 0
                || params.lease > MAX_PERIOD
        ) revert InvalidPeriod(params.reviewPeriod, params.lease);
        if (params.minApprovalBps > _BPS) revert InvalidApprovalRate(params.minApprovalBps);
        if (params.token != address(0) && params.token.code.length == 0) revert TokenNotAContract(params.token);
    }
    /// @dev Take `amount` of `token` from the caller, refusing anything but the exact amount.
    ///      Slither's msg-value-in-nonpayable is a false positive: it is reached from the
    ///      payable createTask, and from addSlots and bonus, payable in TaskEscrowExtension.
    // slither-disable-next-line msg-value-in-nonpayable
    function _collect(address token, uint256 amount) internal {
        if (token == address(0)) {
            if (msg.value != amount) revert WrongPayment(amount, msg.value);
            return;
        }
        if (msg.value != 0) revert WrongPayment(0, msg.value);
        IERC20 erc20 = IERC20(token);
        uint256 before = erc20.balanceOf(address(this));
        erc20.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = erc20.balanceOf(address(this)) - before;
        if (received != amount) revert UnsupportedToken(token, amount, received);
    }
    function _presentReceipt(Receipt calldata receipt, bytes calldata signature) internal {
        uint256 taskId = receipt.taskId;
        Task storage task = _task(taskId);
        uint32 slot = receipt.slot;
        if (slot >= task.receiptSlots) revert SlotNotForReceipts(taskId, slot);
        // Checked even when skipped, so that every ReceiptSkipped names a real receipt.
        address signer = _requireReceipt(task, receipt, signature);
        (SlotState state,) = _stateOf(task, taskId, slot);
        if (state != SlotState.Open) {
            // Presented already (by its worker or anyone), or settled: nothing to do here. A
            // slot that went to another worker is proven with proveEquivocation.
            emit ReceiptSkipped(taskId, slot, receipt.worker);
            return;
        }
        if (block.timestamp > receipt.expiry) revert SignatureExpired(receipt.expiry);
        _requireReceiptWindow(task, taskId);
        task.receiptSlotsUsed += 1;
        _setBits(taskId, slot, _BITS_LIVE);
        _slots[taskId][slot] = Slot(receipt.worker, SlotState.Submitted, receipt.submittedAt);
        emit ReceiptPresented(taskId, slot, receipt.worker, receipt.resultDigest, receipt.submittedAt, signer);
    }
    /// @dev A receipt good for its task: a worker who is no party to it, work in by the
    ///      deadline, signed by the requester or the verifier. Returns the signer.
    function _requireReceipt(Task storage task, Receipt calldata receipt, bytes calldata signature)
        internal
        view
        returns (address)
    {
        uint256 taskId = receipt.taskId;
        if (receipt.worker == address(0)) revert ZeroAddress();
        _requireNotParty(task, taskId, receipt.worker);
        if (receipt.submittedAt > task.deadline) revert SubmittedAfterDeadline(receipt.submittedAt, task.deadline);
        return _requireReviewerSignature(task, taskId, _receiptDigest(receipt), signature);
    }
    /// @dev Reject a slot submitted on chain (or by a presented receipt) within its review period.
    function _rejectSubmitted(Task storage task, uint256 taskId, uint32 slot, address worker) internal {
        if (worker == address(0)) revert ZeroAddress();
        (SlotState state, Slot storage live) = _stateOf(task, taskId, slot);
        if (state != SlotState.Submitted) revert InvalidSlotState(taskId, slot, state);
        if (live.worker != worker) revert WorkerMismatch(taskId, slot, live.worker, worker);
        if (block.timestamp > uint256(live.timestamp) + task.reviewPeriod) revert ReviewPeriodOver(taskId, slot);
        live.state = SlotState.Rejected;
        live.timestamp = uint64(block.timestamp);
    }
    /// @dev The worker a batch approved for `slot` without its receipt, from the batch's
    ///      contents checked against the kept hash.
    function _batchWorker(uint256 taskId, uint32 slot, uint32[] calldata slots, address[] calldata workers)
        internal
        view
        returns (address)
    {
        _requireBatch(slots.length, workers.length);
        bytes32 kept = _batchHashes[taskId][slots[0]];
        if (kept == 0 || kept != _batchHash(slots, workers)) revert BatchMismatch(taskId, slot);
        for (uint256 i = 0; i < slots.length; ++i) {
            if (slots[i] == slot) return workers[i];
        }
        revert BatchMismatch(taskId, slot);
    }
    /// @dev Pay a proven equivocation's victim through `slot`, an open slot of the task still
    ///      funded: it is approved to them, like an approval without a receipt.
    function _payForEquivocation(Task storage task, uint256 taskId, uint32 slot, address worker) internal {
        (SlotState state,) = _stateOf(task, taskId, slot);
        bool receiptSlot = slot < task.receiptSlots;
        bool funded = receiptSlot ? !task.receiptSlotsReclaimed : !task.cancelled;
        if (state != SlotState.Open || slot >= task.slotCount || !funded) revert FundingSlotUnavailable(taskId, slot);
        PaidSlots memory paid = _newPaidSlots(task, 1, false);
        if (receiptSlot) {
            paid.receiptSlotsUsed = 1;
        } else {
            task.openSlots -= 1;
        }
        _setBits(taskId, slot, _BITS_APPROVED);
        _creditApproved(slot, worker, paid);
        _book(task, taskId, ApprovalBasis.Equivocation, paid);
    }
    /// @dev `bySignature`: a signed approval covers work under review (or unpresented receipt
    ///      work); a rejection made after signing revokes it, so it skips a rejected or
    ///      disputed slot. A direct call can pay one (the reviewer changing their mind). Slots
    ///      settled already are skipped, so a batch with one stale entry still goes through.
    function _approve(
        Task storage task,
        uint256 taskId,
        uint32[] calldata slots,
        address[] calldata workers,
        bool bySignature,
        bool direct
    ) internal {
        _requireBatch(slots.length, workers.length);
        PaidSlots memory paid = _newPaidSlots(task, slots.length, direct);
        uint32 receiptSlots = task.receiptSlots;
        mapping(uint256 word => uint256 bits) storage slotBits = _slotBits[taskId];
        // The bitmap word of the slots at hand, written back once the batch moves to another
        // word (a batch of consecutive slots writes each word once).
        uint256 wordIndex = type(uint256).max;
        uint256 word = 0;
        bool dirty = false;
        for (uint256 i = 0; i < slots.length; ++i) {
            uint32 slot = slots[i];
            address worker = workers[i];
            if (worker == address(0)) revert ZeroAddress();
            if (slot >> 7 != wordIndex) {
                if (dirty) slotBits[wordIndex] = word;
                (wordIndex, word, dirty) = (slot >> 7, slotBits[slot >> 7], false);
            }
            uint256 shift = uint256(slot & 127) << 1;
            uint256 bits = (word >> shift) & 3;
            if (bits == _BITS_UNSET && slot < receiptSlots) {
                // The common gasless case: work received off chain, settled without a receipt
                // on chain. The slot has no word of its own; only its bits change.
                if (worker == paid.requester || worker == paid.verifier || worker == paid.arbitrator) {
                    revert TaskPartyCannotWork(taskId, worker);
                }
                ++paid.receiptSlotsUsed;
                (word, dirty) = (word | (_BITS_APPROVED << shift), true);
                _creditApproved(slot, worker, paid);
                continue;
            }
            if (bits >= _BITS_APPROVED) {
                // settled already: a relayed or retried batch stays valid
                emit ApprovalSkipped(taskId, slot, bits == _BITS_APPROVED ? SlotState.Approved : SlotState.Closed);
                continue;
            }
            if (dirty) (slotBits[wordIndex], dirty) = (word, false);
            (SlotState state, Slot storage live) = _stateOf(task, taskId, slot);
            if (bySignature && (state == SlotState.Rejected || state == SlotState.Disputed)) {
                emit ApprovalSkipped(taskId, slot, state); // revoked by the rejection
                continue;
            }
            bool reviewable =
                state == SlotState.Submitted || state == SlotState.Rejected || state == SlotState.Disputed;
            if (!reviewable) revert InvalidSlotState(taskId, slot, state);
            if (live.worker != worker) revert WorkerMismatch(taskId, slot, live.worker, worker);
            if (state == SlotState.Disputed) _accounts[paid.token][worker].disputesWon += 1;
            _pay(task, taskId, slot, worker, paid);
            word = slotBits[wordIndex];
        }
        if (dirty) slotBits[wordIndex] = word;
        if (paid.receiptSlotsUsed != 0) _requireReceiptWindow(task, taskId);
        _book(task, taskId, ApprovalBasis.Review, paid);
    }
    /// @dev Pay a slot that has a live word: mark it approved and credit the worker. A
    ///      claimable slot's word is deleted; a receipt slot's keeps its worker, so whoever
    ///      shows another receipt for the slot can prove it went to someone else.
    function _pay(Task storage task, uint256 taskId, uint32 slot, address worker, PaidSlots memory paid) internal {
        _setBits(taskId, slot, _BITS_APPROVED);
        if (slot >= task.receiptSlots) delete _slots[taskId][slot];
        _creditApproved(slot, worker, paid);
    }
    /// @dev Count one approval on the worker's record and (unless paid directly) credit one
    ///      slot's reward, in one storage word; the escrow and the fee are booked per batch.
    function _creditApproved(uint32 slot, address worker, PaidSlots memory paid) internal {
        Account storage account = _accounts[paid.token][worker];
        uint256 balance = account.balance;
        if (!paid.direct) {
            balance += paid.reward;
            if (balance > type(uint128).max) revert BalanceOverflow(paid.token, worker);
        }
        (account.balance, account.approved) = (uint128(balance), account.approved + 1);
        uint256 count = paid.count;
        paid.slots[count] = slot;
        paid.workers[count] = worker;
        paid.count = count + 1;
    }
    /// @dev Take paid slots out of the escrow, credit their fees, announce them, keep the hash
    ///      of a batch that paid receipt slots without their receipts, and (for a direct
    ///      batch) send the rewards: last, once every balance is written.
    function _book(Task storage task, uint256 taskId, ApprovalBasis basis, PaidSlots memory paid) internal {
        uint256 count = paid.count;
        if (count == 0) return;
        uint256 reward = paid.reward;
        uint256 fee = task.fee;
        task.escrow -= uint128(count * (reward + fee)); // checked: never more than the task holds (P2)
        uint32[] memory slots = paid.slots;
        address[] memory workers = paid.workers;
        assembly ("memory-safe") {
            // shrink the arrays to the slots actually paid
            mstore(slots, count)
            mstore(workers, count)
        }
        if (paid.receiptSlotsUsed != 0) {
            task.receiptSlotsUsed += paid.receiptSlotsUsed;
            _batchHashes[taskId][slots[0]] = _batchHash(slots, workers);
        }
        if (fee != 0) _credit(paid.token, _treasury, count * fee);
        emit SlotsApproved(taskId, basis, slots, workers, reward, fee, paid.direct);
        if (paid.direct) {
            for (uint256 i = 0; i < count; ++i) {
                if (!_sendDirectly(paid.token, workers[i], reward)) {
                    _credit(paid.token, workers[i], reward);
                    emit DirectPaymentFailed(taskId, slots[i], workers[i], reward);
                }
            }
        }
    }
    /// @dev Send `amount` of `token` to `to` with `DIRECT_PAYMENT_GAS`; false if the transfer
    ///      reverted, returned false, or `to` took no ETH, so the caller credits the ledger
    ///      instead and one refusing recipient never sinks a batch. Tokens without a return
    ///      value (USDT) succeed by not reverting; every task's token holds code (`_validate`).
    function _sendDirectly(address token, address to, uint256 amount) internal returns (bool sent) {
        if (gasleft() < _DIRECT_PAYMENT_RESERVE) revert GasTooLowForDirectPayment(_DIRECT_PAYMENT_RESERVE);
        uint256 gasCap = DIRECT_PAYMENT_GAS;
        if (token == address(0)) {
            // slither-disable-next-line arbitrary-send-eth,low-level-calls
            assembly ("memory-safe") {
                sent := call(gasCap, to, amount, 0, 0, 0, 0)
            }
            return sent;
        }
        bytes4 transfer = IERC20.transfer.selector;
        assembly ("memory-safe") {
            // transfer(to, amount), written past the free memory pointer (scratch, not kept)
            let data := mload(0x40)
            mstore(data, transfer)
            mstore(add(data, 4), to)
            mstore(add(data, 36), amount)
            sent := call(gasCap, token, 0, data, 68, 0, 32)
            if and(sent, gt(returndatasize(), 0)) { sent := and(gt(returndatasize(), 31), eq(mload(0), 1)) }
        }
    }
    /// @dev End a slot unpaid: its funds go back to the requester. A receipt slot's word keeps
    ///      its worker (see `_pay`).
    function _close(Task storage task, uint256 taskId, uint32 slot, address worker, bool rejected) internal {
        uint256 refund = _perSlot(task);
        _setBits(taskId, slot, _BITS_CLOSED);
        if (slot >= task.receiptSlots) delete _slots[taskId][slot];
        _refund(task, refund);
        if (rejected) _accounts[task.token][worker].rejected += 1;
        emit SlotClosed(taskId, slot, worker, refund);
    }
    /// @dev A claimed slot's worker let go (or the lease lapsed): reopen it, or refund it if
    ///      the task is cancelled.
    function _freeClaim(Task storage task, uint256 taskId, uint32 slot, Slot storage live, bool lapsed) internal {
        address worker = live.worker;
        _holdsSlot[taskId][worker] = false;
        emit SlotFreed(taskId, slot, worker, lapsed);
        if (task.cancelled) {
            _close(task, taskId, slot, worker, false);
        } else {
            delete _slots[taskId][slot];
            task.openSlots += 1;
        }
    }
    function _refund(Task storage task, uint256 amount) internal {
        if (amount == 0) return;
        task.escrow -= uint128(amount); // checked: never more than the task holds
        _credit(task.token, task.requester, amount);
    }
    function _credit(address token, address to, uint256 amount) internal returns (Account storage account) {
        account = _accounts[token][to];
        uint256 balance = uint256(account.balance) + amount;
        if (balance > type(uint128).max) revert BalanceOverflow(token, to);
        account.balance = uint128(balance);
    }
    function _requireReceiptWindow(Task storage task, uint256 taskId) internal view {
        if (task.receiptSlotsReclaimed || block.timestamp > _receiptWindowEnd(task)) {
            revert ReceiptWindowClosed(taskId);
        }
    }
    /// @dev The requester, verifier and arbitrator review, sign and rule on a task's work, so
    ///      none of them may be paid for doing it (on chain or through receipt slots).
    function _requireNotParty(Task storage task, uint256 taskId, address account) internal view {
        if (account == task.requester || account == task.verifier || account == task.arbitrator) {
            revert TaskPartyCannotWork(taskId, account);
        }
    }
    function _requireQualified(Task storage task, uint256 taskId, address worker) internal view {
        Account storage record = _accounts[task.token][worker];
        uint256 approved = record.approved;
        uint256 rejected = record.rejected;
        bool enough = approved >= task.minApproved;
        uint256 decided = approved + rejected;
        if (enough && task.minApprovalBps != 0 && decided != 0) {
            enough = approved * _BPS >= uint256(task.minApprovalBps) * decided;
        }
        if (!enough) revert NotQualified(taskId, worker, uint32(approved), uint32(rejected));
    }
    function _requireReviewerSignature(Task storage task, uint256 taskId, bytes32 digest, bytes calldata signature)
        internal
        view
        returns (address)
    {
        if (SignatureChecker.isValidSignatureNowCalldata(task.requester, digest, signature)) return task.requester;
        address verifier = task.verifier;
        if (verifier != address(0) && SignatureChecker.isValidSignatureNowCalldata(verifier, digest, signature)) {
            return verifier;
        }
        revert InvalidSignature(taskId);
    }
    function _receiptDigest(Receipt calldata receipt) internal view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    _RECEIPT_TYPEHASH,
                    receipt.taskId,
                    receipt.slot,
                    receipt.worker,
                    receipt.resultDigest,
                    receipt.submittedAt,
                    receipt.expiry
                )
            )
        );
    }
    function _approvalDigest(Approval calldata approval) internal view returns (bytes32) {
        // EIP-712 encodes an array as the hash of its elements, each padded to 32 bytes,
        // which is what abi.encodePacked does for arrays.
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    _APPROVAL_TYPEHASH,
                    approval.taskId,
                    keccak256(abi.encodePacked(approval.slots)),
                    keccak256(abi.encodePacked(approval.workers)),
                    approval.direct,
                    approval.expiry
                )
            )
        );
    }
    /// @dev What a worker signs in every submission envelope (microtask.manifests.typed_data).
    function _submissionDigest(uint256 taskId, uint32 slot, address worker, bytes32 envelopeHash)
        internal
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(_SUBMISSION_TYPEHASH, taskId, uint256(slot), worker, envelopeHash)));
    }
    /// @dev keccak256(keccak256(slots), keccak256(workers)), each array hashed as its
    ///      32-byte padded elements (as EIP-712 hashes arrays).
    function _batchHash(uint32[] memory slots, address[] memory workers) internal pure returns (bytes32) {
        return keccak256(abi.encode(keccak256(abi.encodePacked(slots)), keccak256(abi.encodePacked(workers))));
    }
    function _newPaidSlots(Task storage task, uint256 capacity, bool direct) internal view returns (PaidSlots memory) {
        return PaidSlots(
            new uint32[](capacity),
            new address[](capacity),
            0,
            0,
            direct,
            task.token,
            task.reward,
            task.requester,
            task.verifier,
            task.arbitrator
        );
    }
    function _setBits(uint256 taskId, uint32 slot, uint256 bits) internal {
        uint256 shift = uint256(slot & 127) << 1;
        mapping(uint256 word => uint256 bits) storage words = _slotBits[taskId];
        uint256 word = slot >> 7;
        words[word] = (words[word] & ~(uint256(3) << shift)) | (bits << shift);
    }
    function _bitsOf(uint256 taskId, uint32 slot) internal view returns (uint256) {
        return (_slotBits[taskId][slot >> 7] >> (uint256(slot & 127) << 1)) & 3;
    }
    /// @dev A slot's state and its live word (empty for open receipt slots, final claimable
    ///      slots, and receipt slots settled without a receipt).
    function _stateOf(Task storage task, uint256 taskId, uint32 slot)
        internal
        view
        returns (SlotState state, Slot storage live)
    {
        live = _slots[taskId][slot];
        uint256 bits = _bitsOf(taskId, slot);
        if (bits == _BITS_APPROVED) return (SlotState.Approved, live);
        if (bits == _BITS_CLOSED) return (SlotState.Closed, live);
        if (bits == _BITS_UNSET && slot < task.receiptSlots) return (SlotState.Open, live);
        return (live.state, live);
    }
    function _workerSlot(Task storage task, uint256 taskId, uint32 slot, SlotState expected)
        internal
        view
        returns (Slot storage live)
    {
        SlotState state;
        (state, live) = _stateOf(task, taskId, slot);
        if (state != expected) revert InvalidSlotState(taskId, slot, state);
        if (live.worker != msg.sender) revert NotSlotWorker(taskId, slot, msg.sender);
    }
    function _task(uint256 taskId) internal view returns (Task storage task) {
        task = _tasks[taskId];
        if (task.requester == address(0)) revert TaskNotFound(taskId);
    }
    function _requesterTask(uint256 taskId) internal view returns (Task storage task) {
        task = _task(taskId);
        if (msg.sender != task.requester) revert NotRequester(taskId, msg.sender);
    }
    function _reviewerTask(uint256 taskId, bytes calldata reasonCid) internal view returns (Task storage task) {
        task = _task(taskId);
        if (msg.sender != task.requester && msg.sender != task.verifier) revert NotReviewer(taskId, msg.sender);
        if (reasonCid.length == 0) revert EmptyCid();
    }
    function _requireBatch(uint256 slotCount, uint256 workerCount) internal pure {
        if (slotCount == 0 || slotCount != workerCount) revert InvalidBatch(slotCount, workerCount);
    }
    function _receiptWindowEnd(Task storage task) internal view returns (uint256) {
        return uint256(task.deadline) + task.reviewPeriod;
    }
    /// @dev Until when a receipt whose slot went to someone else is paid, and unused receipt
    ///      slots stay funded: the receipt window, then a dispute window to notice.
    function _equivocationWindowEnd(Task storage task) internal view returns (uint256) {
        return _receiptWindowEnd(task) + _disputeWindow;
    }
    function _perSlot(Task storage task) internal view returns (uint256) {
        return uint256(task.reward) + task.fee;
    }
    /// @dev The fee per paid slot of a new task: the rate rounded up, so that a fee set is
    ///      never silently zero, and at least the token's minimum fee.
    function _feeFor(address token, uint256 reward) internal view returns (uint256 fee) {
        fee = (reward * _feeBps + _BPS - 1) / _BPS;
        uint256 minimum = _minimumFees[token];
        if (fee < minimum) fee = minimum;
    }
}
