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

import {ITaskEscrow} from "./interfaces/ITaskEscrow.sol";

/// @title TaskEscrow
/// @notice Holds every task's funds, tracks every slot, settles in batches and keeps a ledger.
/// @dev Money invariant (DESIGN.md P1): for each token, this contract's balance equals the sum
///      of ledger balances plus every task's `escrow`. Each slot holds `reward + fee` of its
///      task's escrow until it is paid (reward to the worker, fee to the treasury) or closed
///      (both back to the requester), and a slot reaches a final state at most once (P2).
///      Live slot states are one storage word per slot; final states are two bits in a
///      per-task bitmap, so a settled slot's word is deleted and its storage refunded.
contract TaskEscrow is ITaskEscrow, Ownable2Step, Pausable, ReentrancyGuardTransient, EIP712 {
    using SafeERC20 for IERC20;

    /// @notice The highest fee the owner can set: 10%.
    uint16 public constant MAX_FEE_BPS = 1000;
    /// @notice The most slots a task can have.
    uint32 public constant MAX_SLOTS = 1_000_000;
    /// @notice The longest review period or lease.
    uint32 public constant MAX_PERIOD = 365 days;

    bytes32 private constant _RECEIPT_TYPEHASH = keccak256(
        "Receipt(uint256 taskId,uint32 slot,address worker,bytes32 resultDigest,uint64 submittedAt,uint64 expiry)"
    );
    bytes32 private constant _APPROVAL_TYPEHASH =
        keccak256("Approval(uint256 taskId,uint32[] slots,address[] workers,uint64 expiry)");

    uint256 private constant _BPS = 10_000;
    uint256 private constant _FINAL_APPROVED = 1;
    uint256 private constant _FINAL_CLOSED = 2;

    /// @dev A live slot: one storage word.
    struct Slot {
        address worker;
        SlotState state;
        uint64 timestamp;
    }

    /// @dev Slots paid by one call, for one event.
    struct PaidSlots {
        uint32[] slots;
        address[] workers;
        uint256 count;
    }

    /// @notice Seconds a rejected worker has to dispute.
    uint32 public immutable disputeWindow;
    /// @notice Seconds the arbitrator has to rule before a dispute pays the worker.
    uint32 public immutable arbitrationTimeout;

    uint256 private _taskCount;
    address private _treasury;
    uint16 private _feeBps;
    address private _defaultArbitrator;

    mapping(uint256 taskId => Task) private _tasks;
    mapping(uint256 taskId => mapping(uint256 slot => Slot)) private _slots;
    mapping(uint256 taskId => mapping(uint256 word => uint256 bits)) private _finalStates;
    mapping(uint256 taskId => mapping(address worker => bool)) private _holdsSlot;
    mapping(address token => mapping(address account => uint256)) private _balances;
    mapping(address worker => Reputation) private _reputation;

    /// @param initialOwner The operator.
    /// @param initialTreasury Where fees are credited.
    /// @param initialFeeBps The fee for new tasks, in basis points.
    /// @param initialArbitrator The default arbitrator (may be zero: unanswered disputes pay).
    /// @param disputeWindow_ Seconds a rejected worker has to dispute.
    /// @param arbitrationTimeout_ Seconds the arbitrator has to rule.
    constructor(
        address initialOwner,
        address initialTreasury,
        uint16 initialFeeBps,
        address initialArbitrator,
        uint32 disputeWindow_,
        uint32 arbitrationTimeout_
    ) Ownable(initialOwner) EIP712("microtask", "1") {
        if (initialTreasury == address(0)) revert ZeroAddress();
        if (initialFeeBps > MAX_FEE_BPS) revert FeeTooHigh(initialFeeBps, MAX_FEE_BPS);
        if (disputeWindow_ == 0 || disputeWindow_ > MAX_PERIOD) revert InvalidPeriod(disputeWindow_, 0);
        if (arbitrationTimeout_ == 0 || arbitrationTimeout_ > MAX_PERIOD) {
            revert InvalidPeriod(arbitrationTimeout_, 0);
        }
        _treasury = initialTreasury;
        _feeBps = initialFeeBps;
        _defaultArbitrator = initialArbitrator;
        disputeWindow = disputeWindow_;
        arbitrationTimeout = arbitrationTimeout_;
    }

    // ================================================================ requester

    /// @inheritdoc ITaskEscrow
    function createTask(TaskParams calldata params) external payable nonReentrant whenNotPaused returns (uint256) {
        return _createTask(params);
    }

    /// @inheritdoc ITaskEscrow
    function createTaskWithPermit(TaskParams calldata params, uint256 permitDeadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
        whenNotPaused
        returns (uint256)
    {
        uint256 total = uint256(params.slots) * _perSlot(params.reward, _feeBps);
        // A front-runner may have used the permit already; the allowance is what counts.
        try IERC20Permit(params.token).permit(msg.sender, address(this), total, permitDeadline, v, r, s) {} catch {}
        return _createTask(params);
    }

    /// @inheritdoc ITaskEscrow
    function addSlots(uint256 taskId, uint32 count) external payable nonReentrant whenNotPaused {
        Task storage task = _requesterTask(taskId);
        if (task.cancelled) revert TaskIsCancelled(taskId);
        uint256 newCount = uint256(task.slotCount) + count;
        if (count == 0 || newCount > MAX_SLOTS) revert InvalidSlotCount(newCount, task.receiptSlots);
        uint256 funded = uint256(count) * _perSlot(task.reward, task.feeBps);
        task.slotCount = uint32(newCount);
        task.openSlots += count;
        task.escrow = SafeCast.toUint128(task.escrow + funded);
        emit SlotsAdded(taskId, count, uint32(newCount), funded);
        _collect(task.token, funded);
    }

    /// @inheritdoc ITaskEscrow
    function extendDeadline(uint256 taskId, uint64 deadline) external {
        Task storage task = _requesterTask(taskId);
        if (task.cancelled) revert TaskIsCancelled(taskId);
        if (deadline <= task.deadline) revert DeadlineNotLater(task.deadline, deadline);
        task.deadline = deadline;
        emit DeadlineExtended(taskId, deadline);
    }

    /// @inheritdoc ITaskEscrow
    function cancel(uint256 taskId) external nonReentrant {
        Task storage task = _requesterTask(taskId);
        if (task.cancelled) revert TaskIsCancelled(taskId);
        task.cancelled = true;
        // No receipt may claim work from after the cancellation.
        if (task.deadline > block.timestamp) task.deadline = uint64(block.timestamp);
        uint256 refund = uint256(task.openSlots) * _perSlot(task.reward, task.feeBps);
        task.openSlots = 0;
        _refund(task, refund);
        emit TaskCancelled(taskId, refund);
    }

    /// @inheritdoc ITaskEscrow
    function reclaimReceiptSlots(uint256 taskId) external nonReentrant {
        Task storage task = _task(taskId);
        if (task.receiptSlotsReclaimed) revert ReceiptWindowClosed(taskId);
        uint256 closesAt = _receiptWindowEnd(task);
        if (block.timestamp <= closesAt) revert ReceiptWindowOpen(taskId, closesAt);
        task.receiptSlotsReclaimed = true;
        uint32 unused = task.receiptSlots - task.receiptSlotsUsed;
        uint256 refund = uint256(unused) * _perSlot(task.reward, task.feeBps);
        _refund(task, refund);
        emit ReceiptSlotsReclaimed(taskId, unused, refund);
    }

    /// @inheritdoc ITaskEscrow
    function bonus(uint256 taskId, address worker, uint256 amount) external payable nonReentrant {
        Task storage task = _requesterTask(taskId);
        if (worker == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        _balances[task.token][worker] += amount;
        emit BonusPaid(taskId, worker, amount);
        _collect(task.token, amount);
    }

    // ================================================================ worker

    /// @inheritdoc ITaskEscrow
    function claim(uint256 taskId, uint32 slot) external nonReentrant whenNotPaused {
        Task storage task = _task(taskId);
        if (task.cancelled) revert TaskIsCancelled(taskId);
        if (block.timestamp > task.deadline) revert TaskExpired(taskId, task.deadline);
        if (slot >= task.slotCount) revert SlotOutOfRange(taskId, slot);
        if (slot < task.receiptSlots) revert SlotReservedForReceipts(taskId, slot);
        address worker = msg.sender;
        if (worker == task.requester || worker == task.verifier || worker == task.arbitrator) {
            revert TaskPartyCannotWork(taskId, worker);
        }
        if (_holdsSlot[taskId][worker]) revert AlreadyHoldsSlot(taskId, worker);
        _requireQualified(task, taskId, worker);

        Slot storage live = _slots[taskId][slot];
        SlotState state = _stateOf(taskId, slot, live);
        if (state == SlotState.Claimed && block.timestamp > live.timestamp) {
            // The previous lease lapsed: free the slot on the way.
            _holdsSlot[taskId][live.worker] = false;
            emit SlotFreed(taskId, slot, live.worker, true);
        } else if (state == SlotState.Open) {
            task.openSlots -= 1;
        } else {
            revert InvalidSlotState(taskId, slot, state);
        }
        uint64 leaseEnd = uint64(block.timestamp) + task.lease;
        _slots[taskId][slot] = Slot(worker, SlotState.Claimed, leaseEnd);
        _holdsSlot[taskId][worker] = true;
        emit SlotClaimed(taskId, slot, worker, leaseEnd);
    }

    /// @inheritdoc ITaskEscrow
    function release(uint256 taskId, uint32 slot) external nonReentrant {
        Task storage task = _task(taskId);
        Slot storage live = _workerSlot(taskId, slot, SlotState.Claimed);
        _freeClaim(task, taskId, slot, live, false);
    }

    /// @inheritdoc ITaskEscrow
    function submit(uint256 taskId, uint32 slot, bytes calldata resultCid) external nonReentrant {
        _task(taskId);
        if (resultCid.length == 0) revert EmptyCid();
        Slot storage live = _workerSlot(taskId, slot, SlotState.Claimed);
        if (block.timestamp > live.timestamp) revert LeaseExpired(taskId, slot, live.timestamp);
        live.state = SlotState.Submitted;
        live.timestamp = uint64(block.timestamp);
        _holdsSlot[taskId][msg.sender] = false;
        emit WorkSubmitted(taskId, slot, msg.sender, resultCid);
    }

    /// @inheritdoc ITaskEscrow
    function presentReceipts(Receipt[] calldata receipts, bytes[] calldata signatures) external nonReentrant {
        if (receipts.length == 0 || receipts.length != signatures.length) {
            revert InvalidBatch(receipts.length, signatures.length);
        }
        for (uint256 i = 0; i < receipts.length; ++i) {
            _presentReceipt(receipts[i], signatures[i]);
        }
    }

    /// @inheritdoc ITaskEscrow
    function dispute(uint256 taskId, uint32 slot, bytes calldata reasonCid) external nonReentrant {
        _task(taskId);
        if (reasonCid.length == 0) revert EmptyCid();
        Slot storage live = _workerSlot(taskId, slot, SlotState.Rejected);
        if (block.timestamp > uint256(live.timestamp) + disputeWindow) revert DisputeWindowOver(taskId, slot);
        live.state = SlotState.Disputed;
        live.timestamp = uint64(block.timestamp);
        emit DisputeOpened(taskId, slot, msg.sender, reasonCid);
    }

    // ================================================================ review

    /// @inheritdoc ITaskEscrow
    function approve(uint256 taskId, uint32[] calldata slots, address[] calldata workers) external nonReentrant {
        Task storage task = _task(taskId);
        if (msg.sender != task.requester && msg.sender != task.verifier) revert NotReviewer(taskId, msg.sender);
        _approve(task, taskId, slots, workers);
    }

    /// @inheritdoc ITaskEscrow
    function approveWithSignature(Approval calldata approval, bytes calldata signature) external nonReentrant {
        if (block.timestamp > approval.expiry) revert SignatureExpired(approval.expiry);
        Task storage task = _task(approval.taskId);
        _requireReviewerSignature(task, approval.taskId, _approvalDigest(approval), signature);
        _approve(task, approval.taskId, approval.slots, approval.workers);
    }

    /// @inheritdoc ITaskEscrow
    function reject(uint256 taskId, uint32[] calldata slots, address[] calldata workers, bytes calldata reasonCid)
        external
        nonReentrant
    {
        Task storage task = _task(taskId);
        if (msg.sender != task.requester && msg.sender != task.verifier) revert NotReviewer(taskId, msg.sender);
        if (reasonCid.length == 0) revert EmptyCid();
        _requireBatch(slots.length, workers.length);
        for (uint256 i = 0; i < slots.length; ++i) {
            _rejectOne(task, taskId, slots[i], workers[i]);
        }
        emit SlotsRejected(taskId, slots, workers, reasonCid);
    }

    /// @inheritdoc ITaskEscrow
    function rule(uint256 taskId, uint32 slot, bool pay, bytes calldata reasonCid) external nonReentrant {
        Task storage task = _task(taskId);
        if (msg.sender != task.arbitrator) revert NotArbitrator(taskId, msg.sender);
        Slot storage live = _slots[taskId][slot];
        SlotState state = _stateOf(taskId, slot, live);
        if (state != SlotState.Disputed) revert InvalidSlotState(taskId, slot, state);
        if (!pay && reasonCid.length == 0) revert EmptyCid(); // upholding a rejection needs reasons
        address worker = live.worker;
        emit DisputeRuled(taskId, slot, worker, pay, reasonCid);
        Reputation storage record = _reputation[worker];
        if (pay) {
            record.disputesWon += 1;
            PaidSlots memory paid = _newPaidSlots(1);
            _pay(task, taskId, slot, worker, paid);
            _emitApproved(taskId, ApprovalBasis.Arbitration, task, paid);
        } else {
            record.disputesLost += 1;
            _close(task, taskId, slot, worker, true);
        }
    }

    /// @inheritdoc ITaskEscrow
    function finalize(uint256 taskId, uint32[] calldata slots) external nonReentrant {
        Task storage task = _task(taskId);
        if (slots.length == 0) revert InvalidBatch(0, 0);
        PaidSlots memory silent = _newPaidSlots(slots.length);
        PaidSlots memory timedOut = _newPaidSlots(slots.length);
        bool changed;
        for (uint256 i = 0; i < slots.length; ++i) {
            uint32 slot = slots[i];
            Slot storage live = _slots[taskId][slot];
            SlotState state = _stateOf(taskId, slot, live);
            uint256 since = live.timestamp;
            if (state == SlotState.Claimed && block.timestamp > since) {
                _freeClaim(task, taskId, slot, live, true);
            } else if (state == SlotState.Submitted && block.timestamp > since + task.reviewPeriod) {
                _pay(task, taskId, slot, live.worker, silent);
            } else if (state == SlotState.Rejected && block.timestamp > since + disputeWindow) {
                _close(task, taskId, slot, live.worker, true);
            } else if (state == SlotState.Disputed && block.timestamp > since + arbitrationTimeout) {
                _reputation[live.worker].disputesWon += 1;
                _pay(task, taskId, slot, live.worker, timedOut);
            } else {
                continue;
            }
            changed = true;
        }
        if (!changed) revert NothingToFinalize(taskId);
        _emitApproved(taskId, ApprovalBasis.Silence, task, silent);
        _emitApproved(taskId, ApprovalBasis.ArbitrationTimeout, task, timedOut);
    }

    // ================================================================ ledger

    /// @inheritdoc ITaskEscrow
    function withdraw(address token, uint256 amount, address to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        uint256 balance = _balances[token][msg.sender];
        if (balance < amount) revert InsufficientBalance(token, msg.sender, balance, amount);
        unchecked {
            // cannot underflow: checked just above
            _balances[token][msg.sender] = balance - amount;
        }
        emit Withdrawn(token, msg.sender, to, amount);
        if (token == address(0)) {
            (bool sent,) = to.call{value: amount}("");
            if (!sent) revert EthTransferFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    // ================================================================ operator

    /// @inheritdoc ITaskEscrow
    function setFee(uint16 newFeeBps) external onlyOwner {
        if (newFeeBps > MAX_FEE_BPS) revert FeeTooHigh(newFeeBps, MAX_FEE_BPS);
        emit FeeChanged(_feeBps, newFeeBps);
        _feeBps = newFeeBps;
    }

    /// @inheritdoc ITaskEscrow
    function setTreasury(address newTreasury) external onlyOwner {
        if (newTreasury == address(0)) revert ZeroAddress();
        emit TreasuryChanged(_treasury, newTreasury);
        _treasury = newTreasury;
    }

    /// @inheritdoc ITaskEscrow
    function setDefaultArbitrator(address newArbitrator) external onlyOwner {
        emit DefaultArbitratorChanged(_defaultArbitrator, newArbitrator);
        _defaultArbitrator = newArbitrator;
    }

    /// @inheritdoc ITaskEscrow
    function pause() external onlyOwner {
        _pause();
    }

    /// @inheritdoc ITaskEscrow
    function unpause() external onlyOwner {
        _unpause();
    }

    // ================================================================ views

    /// @inheritdoc ITaskEscrow
    function getTask(uint256 taskId) external view returns (Task memory) {
        return _task(taskId);
    }

    /// @inheritdoc ITaskEscrow
    function getSlot(uint256 taskId, uint32 slot) external view returns (SlotView memory) {
        Task storage task = _task(taskId);
        if (slot >= task.slotCount) revert SlotOutOfRange(taskId, slot);
        Slot storage live = _slots[taskId][slot];
        return SlotView(_stateOf(taskId, slot, live), live.worker, live.timestamp);
    }

    /// @inheritdoc ITaskEscrow
    function balanceOf(address token, address account) external view returns (uint256) {
        return _balances[token][account];
    }

    /// @inheritdoc ITaskEscrow
    function reputationOf(address worker) external view returns (Reputation memory) {
        return _reputation[worker];
    }

    /// @inheritdoc ITaskEscrow
    function taskCount() external view returns (uint256) {
        return _taskCount;
    }

    /// @inheritdoc ITaskEscrow
    function feeBps() external view returns (uint16) {
        return _feeBps;
    }

    /// @inheritdoc ITaskEscrow
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc ITaskEscrow
    function defaultArbitrator() external view returns (address) {
        return _defaultArbitrator;
    }

    /// @inheritdoc ITaskEscrow
    function receiptDigest(Receipt calldata receipt) external view returns (bytes32) {
        return _receiptDigest(receipt);
    }

    /// @inheritdoc ITaskEscrow
    function approvalDigest(Approval calldata approval) external view returns (bytes32) {
        return _approvalDigest(approval);
    }

    // ================================================================ internals

    function _createTask(TaskParams calldata params) private returns (uint256 taskId) {
        _validate(params);
        uint16 fee = _feeBps;
        uint256 total = uint256(params.slots) * _perSlot(params.reward, fee);
        taskId = ++_taskCount;
        Task storage task = _tasks[taskId];
        task.requester = msg.sender;
        task.deadline = params.deadline;
        task.slotCount = params.slots;
        task.token = params.token;
        task.reviewPeriod = params.reviewPeriod;
        task.lease = params.lease;
        task.feeBps = fee;
        task.verifier = params.verifier;
        task.receiptSlots = params.receiptSlots;
        task.openSlots = params.slots - params.receiptSlots;
        task.arbitrator = params.arbitrator == address(0) ? _defaultArbitrator : params.arbitrator;
        task.minApproved = params.minApproved;
        task.minApprovalBps = params.minApprovalBps;
        task.reward = params.reward;
        task.escrow = SafeCast.toUint128(total);
        emit TaskCreated(taskId, msg.sender, params.token, params.manifestCid, task);
        _collect(params.token, total);
    }

    function _validate(TaskParams calldata params) private view {
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
    }

    /// @dev Take `amount` of `token` from the caller, refusing anything but the exact amount.
    function _collect(address token, uint256 amount) private {
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

    function _presentReceipt(Receipt calldata receipt, bytes calldata signature) private {
        uint256 taskId = receipt.taskId;
        Task storage task = _task(taskId);
        if (block.timestamp > receipt.expiry) revert SignatureExpired(receipt.expiry);
        if (receipt.slot >= task.receiptSlots) revert SlotNotForReceipts(taskId, receipt.slot);
        if (receipt.worker == address(0)) revert ZeroAddress();
        if (receipt.submittedAt > task.deadline) revert SubmittedAfterDeadline(receipt.submittedAt, task.deadline);
        address signer = _requireReviewerSignature(task, taskId, _receiptDigest(receipt), signature);
        Slot storage live = _slots[taskId][receipt.slot];
        SlotState state = _stateOf(taskId, receipt.slot, live);
        if (state != SlotState.Open) revert InvalidSlotState(taskId, receipt.slot, state);
        _useReceiptSlot(task, taskId);
        _slots[taskId][receipt.slot] = Slot(receipt.worker, SlotState.Submitted, receipt.submittedAt);
        emit ReceiptPresented(
            taskId, receipt.slot, receipt.worker, receipt.resultDigest, receipt.submittedAt, signer
        );
    }

    function _rejectOne(Task storage task, uint256 taskId, uint32 slot, address worker) private {
        if (worker == address(0)) revert ZeroAddress();
        Slot storage live = _slots[taskId][slot];
        SlotState state = _stateOf(taskId, slot, live);
        if (state == SlotState.Open && slot < task.receiptSlots) {
            // Work received off chain whose receipt was never presented.
            _useReceiptSlot(task, taskId);
            _slots[taskId][slot] = Slot(worker, SlotState.Rejected, uint64(block.timestamp));
        } else if (state == SlotState.Submitted) {
            if (live.worker != worker) revert WorkerMismatch(taskId, slot, live.worker, worker);
            if (block.timestamp > uint256(live.timestamp) + task.reviewPeriod) revert ReviewPeriodOver(taskId, slot);
            live.state = SlotState.Rejected;
            live.timestamp = uint64(block.timestamp);
        } else {
            revert InvalidSlotState(taskId, slot, state);
        }
    }

    function _approve(Task storage task, uint256 taskId, uint32[] calldata slots, address[] calldata workers)
        private
    {
        _requireBatch(slots.length, workers.length);
        PaidSlots memory paid = _newPaidSlots(slots.length);
        for (uint256 i = 0; i < slots.length; ++i) {
            uint32 slot = slots[i];
            address worker = workers[i];
            if (worker == address(0)) revert ZeroAddress();
            Slot storage live = _slots[taskId][slot];
            SlotState state = _stateOf(taskId, slot, live);
            if (state == SlotState.Approved) continue; // paid already; a relayed batch stays valid
            if (state == SlotState.Open && slot < task.receiptSlots) {
                _useReceiptSlot(task, taskId);
            } else if (state == SlotState.Submitted || state == SlotState.Rejected || state == SlotState.Disputed) {
                if (live.worker != worker) revert WorkerMismatch(taskId, slot, live.worker, worker);
                if (state == SlotState.Disputed) _reputation[worker].disputesWon += 1;
            } else {
                revert InvalidSlotState(taskId, slot, state);
            }
            _pay(task, taskId, slot, worker, paid);
        }
        _emitApproved(taskId, ApprovalBasis.Review, task, paid);
    }

    /// @dev Pay one slot: reward to the worker, fee to the treasury, from the task's escrow.
    function _pay(Task storage task, uint256 taskId, uint32 slot, address worker, PaidSlots memory paid) private {
        uint256 reward = task.reward;
        uint256 fee = _fee(reward, task.feeBps);
        _setFinal(taskId, slot, _FINAL_APPROVED);
        delete _slots[taskId][slot];
        task.escrow -= uint128(reward + fee); // checked: a task never pays more than it holds (P2)
        _balances[task.token][worker] += reward;
        if (fee != 0) _balances[task.token][_treasury] += fee;
        _reputation[worker].approved += 1;
        paid.slots[paid.count] = slot;
        paid.workers[paid.count] = worker;
        paid.count += 1;
    }

    /// @dev End a slot unpaid: its funds go back to the requester.
    function _close(Task storage task, uint256 taskId, uint32 slot, address worker, bool rejected) private {
        uint256 refund = _perSlot(task.reward, task.feeBps);
        _setFinal(taskId, slot, _FINAL_CLOSED);
        delete _slots[taskId][slot];
        _refund(task, refund);
        if (rejected) _reputation[worker].rejected += 1;
        emit SlotClosed(taskId, slot, worker, refund);
    }

    /// @dev A claimed slot's worker let go (or the lease lapsed): reopen it, or refund it if
    ///      the task is cancelled.
    function _freeClaim(Task storage task, uint256 taskId, uint32 slot, Slot storage live, bool lapsed) private {
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

    function _refund(Task storage task, uint256 amount) private {
        if (amount == 0) return;
        task.escrow -= uint128(amount); // checked: never more than the task holds
        _balances[task.token][task.requester] += amount;
    }

    function _useReceiptSlot(Task storage task, uint256 taskId) private {
        if (task.receiptSlotsReclaimed || block.timestamp > _receiptWindowEnd(task)) {
            revert ReceiptWindowClosed(taskId);
        }
        task.receiptSlotsUsed += 1;
    }

    function _requireQualified(Task storage task, uint256 taskId, address worker) private view {
        Reputation storage record = _reputation[worker];
        uint64 approved = record.approved;
        uint64 rejected = record.rejected;
        bool enough = approved >= task.minApproved;
        uint256 decided = uint256(approved) + rejected;
        if (enough && task.minApprovalBps != 0 && decided != 0) {
            enough = uint256(approved) * _BPS >= uint256(task.minApprovalBps) * decided;
        }
        if (!enough) revert NotQualified(taskId, worker, approved, rejected);
    }

    function _requireReviewerSignature(Task storage task, uint256 taskId, bytes32 digest, bytes calldata signature)
        private
        view
        returns (address)
    {
        if (SignatureChecker.isValidSignatureNow(task.requester, digest, signature)) return task.requester;
        address verifier = task.verifier;
        if (verifier != address(0) && SignatureChecker.isValidSignatureNow(verifier, digest, signature)) {
            return verifier;
        }
        revert InvalidSignature(taskId);
    }

    function _receiptDigest(Receipt calldata receipt) private view returns (bytes32) {
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

    function _approvalDigest(Approval calldata approval) private view returns (bytes32) {
        // EIP-712 encodes an array as the hash of its elements, each padded to 32 bytes,
        // which is what abi.encodePacked does for arrays.
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    _APPROVAL_TYPEHASH,
                    approval.taskId,
                    keccak256(abi.encodePacked(approval.slots)),
                    keccak256(abi.encodePacked(approval.workers)),
                    approval.expiry
                )
            )
        );
    }

    function _emitApproved(uint256 taskId, ApprovalBasis basis, Task storage task, PaidSlots memory paid) private {
        uint256 count = paid.count;
        if (count == 0) return;
        uint32[] memory slots = paid.slots;
        address[] memory workers = paid.workers;
        assembly ("memory-safe") {
            // shrink the arrays to the slots actually paid
            mstore(slots, count)
            mstore(workers, count)
        }
        uint256 reward = task.reward;
        emit SlotsApproved(taskId, basis, slots, workers, reward, _fee(reward, task.feeBps));
    }

    function _newPaidSlots(uint256 capacity) private pure returns (PaidSlots memory) {
        return PaidSlots(new uint32[](capacity), new address[](capacity), 0);
    }

    function _setFinal(uint256 taskId, uint32 slot, uint256 outcome) private {
        _finalStates[taskId][slot >> 7] |= outcome << ((slot & 127) * 2);
    }

    function _stateOf(uint256 taskId, uint32 slot, Slot storage live) private view returns (SlotState) {
        uint256 outcome = (_finalStates[taskId][slot >> 7] >> ((slot & 127) * 2)) & 3;
        if (outcome == _FINAL_APPROVED) return SlotState.Approved;
        if (outcome == _FINAL_CLOSED) return SlotState.Closed;
        return live.state;
    }

    function _workerSlot(uint256 taskId, uint32 slot, SlotState expected) private view returns (Slot storage live) {
        live = _slots[taskId][slot];
        SlotState state = _stateOf(taskId, slot, live);
        if (state != expected) revert InvalidSlotState(taskId, slot, state);
        if (live.worker != msg.sender) revert NotSlotWorker(taskId, slot, msg.sender);
    }

    function _task(uint256 taskId) private view returns (Task storage task) {
        task = _tasks[taskId];
        if (task.requester == address(0)) revert TaskNotFound(taskId);
    }

    function _requesterTask(uint256 taskId) private view returns (Task storage task) {
        task = _task(taskId);
        if (msg.sender != task.requester) revert NotRequester(taskId, msg.sender);
    }

    function _requireBatch(uint256 slotCount, uint256 workerCount) private pure {
        if (slotCount == 0 || slotCount != workerCount) revert InvalidBatch(slotCount, workerCount);
    }

    function _receiptWindowEnd(Task storage task) private view returns (uint256) {
        return uint256(task.deadline) + task.reviewPeriod;
    }

    function _perSlot(uint256 reward, uint16 fee) private pure returns (uint256) {
        return reward + _fee(reward, fee);
    }

    function _fee(uint256 reward, uint16 fee) private pure returns (uint256) {
        return reward * fee / _BPS;
    }
}
