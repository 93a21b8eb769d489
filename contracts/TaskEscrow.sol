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
/// @dev Money invariant (docs/architecture.md, P1): for each token, this contract's balance
///      equals the sum of ledger balances plus every task's `escrow`. Each slot holds `reward + fee` of its
///      task's escrow until it is paid (reward to the worker, fee to the treasury) or closed
///      (both back to the requester), and a slot reaches a final state at most once (P2).
///
///      Gas layout. Each slot has two bits in a per-task bitmap (128 slots a word): final
///      states live there, so a settled slot's own word is deleted; a receipt slot's bits also
///      say whether it has a live word at all, so settling an unpresented receipt slot never
///      reads one. A worker's balance and record in a token share one word, so paying a slot
///      writes one word per worker. Batch totals (escrow, fees, receipt slots used) are
///      written once per call.
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
    // Slot bits: UNSET means "ask the slot's word" for claimable slots and "open" for receipt
    // slots; LIVE means a receipt slot's word holds its state.
    uint256 private constant _BITS_UNSET = 0;
    uint256 private constant _BITS_LIVE = 1;
    uint256 private constant _BITS_APPROVED = 2;
    uint256 private constant _BITS_CLOSED = 3;

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
        address token;
        uint128 reward;
        address requester;
        address verifier;
        address arbitrator;
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
    mapping(uint256 taskId => mapping(uint256 word => uint256 bits)) private _slotBits;
    mapping(uint256 taskId => mapping(address worker => bool)) private _holdsSlot;
    mapping(address token => mapping(address account => Account)) private _accounts;

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
        if (disputeWindow_ == 0 || disputeWindow_ > MAX_PERIOD) revert InvalidDisputeWindow(disputeWindow_);
        if (arbitrationTimeout_ == 0 || arbitrationTimeout_ > MAX_PERIOD) {
            revert InvalidArbitrationTimeout(arbitrationTimeout_);
        }
        _treasury = initialTreasury;
        _feeBps = initialFeeBps;
        _defaultArbitrator = initialArbitrator;
        disputeWindow = disputeWindow_;
        arbitrationTimeout = arbitrationTimeout_;
        emit EscrowConfigured(initialTreasury, initialFeeBps, initialArbitrator, disputeWindow_, arbitrationTimeout_);
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
        if (params.token == address(0)) revert PermitForEthTask();
        _validate(params);
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
        if (count == 0 || newCount > MAX_SLOTS) revert InvalidSlotsAdded(taskId, newCount, count);
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
        _credit(task.token, worker, amount);
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
        _requireNotParty(task, taskId, worker);
        if (_holdsSlot[taskId][worker]) revert AlreadyHoldsSlot(taskId, worker);
        _requireQualified(task, taskId, worker);

        (SlotState state, Slot storage live) = _stateOf(task, taskId, slot);
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
        Slot storage live = _workerSlot(task, taskId, slot, SlotState.Claimed);
        _freeClaim(task, taskId, slot, live, false);
    }

    /// @inheritdoc ITaskEscrow
    function submit(uint256 taskId, uint32 slot, bytes calldata resultCid) external nonReentrant {
        Task storage task = _task(taskId);
        if (resultCid.length == 0) revert EmptyCid();
        Slot storage live = _workerSlot(task, taskId, slot, SlotState.Claimed);
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
        Task storage task = _task(taskId);
        if (reasonCid.length == 0) revert EmptyCid();
        Slot storage live = _workerSlot(task, taskId, slot, SlotState.Rejected);
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
        _approve(task, taskId, slots, workers, false);
    }

    /// @inheritdoc ITaskEscrow
    function approveWithSignature(Approval calldata approval, bytes calldata signature) external nonReentrant {
        if (block.timestamp > approval.expiry) revert SignatureExpired(approval.expiry);
        Task storage task = _task(approval.taskId);
        _requireReviewerSignature(task, approval.taskId, _approvalDigest(approval), signature);
        _approve(task, approval.taskId, approval.slots, approval.workers, true);
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
        uint32 receiptSlotsUsed;
        for (uint256 i = 0; i < slots.length; ++i) {
            if (_rejectOne(task, taskId, slots[i], workers[i])) ++receiptSlotsUsed;
        }
        if (receiptSlotsUsed != 0) task.receiptSlotsUsed += receiptSlotsUsed;
        emit SlotsRejected(taskId, slots, workers, reasonCid);
    }

    /// @inheritdoc ITaskEscrow
    function rule(uint256 taskId, uint32 slot, bool pay, bytes calldata reasonCid) external nonReentrant {
        Task storage task = _task(taskId);
        if (msg.sender != task.arbitrator) revert NotArbitrator(taskId, msg.sender);
        (SlotState state, Slot storage live) = _stateOf(task, taskId, slot);
        if (state != SlotState.Disputed) revert InvalidSlotState(taskId, slot, state);
        if (!pay && reasonCid.length == 0) revert EmptyCid(); // upholding a rejection needs reasons
        address worker = live.worker;
        emit DisputeRuled(taskId, slot, worker, pay, reasonCid);
        Account storage account = _accounts[task.token][worker];
        if (pay) {
            account.disputesWon += 1;
            PaidSlots memory paid = _newPaidSlots(task, 1);
            _pay(taskId, slot, worker, paid);
            _book(task, taskId, ApprovalBasis.Arbitration, paid);
        } else {
            account.disputesLost += 1;
            _close(task, taskId, slot, worker, true);
        }
    }

    /// @inheritdoc ITaskEscrow
    function finalize(uint256 taskId, uint32[] calldata slots) external nonReentrant {
        Task storage task = _task(taskId);
        if (slots.length == 0) revert InvalidBatch(0, 0);
        PaidSlots memory silent = _newPaidSlots(task, slots.length);
        PaidSlots memory timedOut = _newPaidSlots(task, slots.length);
        bool changed;
        for (uint256 i = 0; i < slots.length; ++i) {
            uint32 slot = slots[i];
            (SlotState state, Slot storage live) = _stateOf(task, taskId, slot);
            uint256 since = live.timestamp;
            if (state == SlotState.Claimed && block.timestamp > since) {
                _freeClaim(task, taskId, slot, live, true);
            } else if (state == SlotState.Submitted && block.timestamp > since + task.reviewPeriod) {
                _pay(taskId, slot, live.worker, silent);
            } else if (state == SlotState.Rejected && block.timestamp > since + disputeWindow) {
                _close(task, taskId, slot, live.worker, true);
            } else if (state == SlotState.Disputed && block.timestamp > since + arbitrationTimeout) {
                _accounts[task.token][live.worker].disputesWon += 1;
                _pay(taskId, slot, live.worker, timedOut);
            } else {
                continue;
            }
            changed = true;
        }
        if (!changed) revert NothingToFinalize(taskId);
        _book(task, taskId, ApprovalBasis.Silence, silent);
        _book(task, taskId, ApprovalBasis.ArbitrationTimeout, timedOut);
    }

    // ================================================================ ledger

    /// @inheritdoc ITaskEscrow
    function withdraw(address token, uint256 amount, address to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        Account storage account = _accounts[token][msg.sender];
        uint256 balance = account.balance;
        if (balance < amount) revert InsufficientBalance(token, msg.sender, balance, amount);
        unchecked {
            // cannot underflow: checked just above; fits 128 bits as it is below the balance
            account.balance = uint128(balance - amount);
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
        (SlotState state, Slot storage live) = _stateOf(task, taskId, slot);
        // Open slots refunded in bulk (by a cancel, or a reclaim of receipt slots) have no
        // bits of their own; they read as closed, as they are.
        bool receiptSlot = slot < task.receiptSlots;
        if (state == SlotState.Open && (receiptSlot ? task.receiptSlotsReclaimed : task.cancelled)) {
            state = SlotState.Closed;
        }
        return SlotView(state, live.worker, live.timestamp);
    }

    /// @inheritdoc ITaskEscrow
    function balanceOf(address token, address account) external view returns (uint256) {
        return _accounts[token][account].balance;
    }

    /// @inheritdoc ITaskEscrow
    function reputationOf(address worker, address token) external view returns (Reputation memory) {
        Account storage account = _accounts[token][worker];
        return Reputation(account.approved, account.rejected, account.disputesWon, account.disputesLost);
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
        if (params.token != address(0) && params.token.code.length == 0) revert TokenNotAContract(params.token);
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
        _requireNotParty(task, taskId, receipt.worker);
        if (receipt.submittedAt > task.deadline) revert SubmittedAfterDeadline(receipt.submittedAt, task.deadline);
        address signer = _requireReviewerSignature(task, taskId, _receiptDigest(receipt), signature);
        (SlotState state,) = _stateOf(task, taskId, receipt.slot);
        if (state != SlotState.Open) revert InvalidSlotState(taskId, receipt.slot, state);
        _requireReceiptWindow(task, taskId);
        task.receiptSlotsUsed += 1;
        _setBits(taskId, receipt.slot, _BITS_LIVE);
        _slots[taskId][receipt.slot] = Slot(receipt.worker, SlotState.Submitted, receipt.submittedAt);
        emit ReceiptPresented(
            taskId, receipt.slot, receipt.worker, receipt.resultDigest, receipt.submittedAt, signer
        );
    }

    /// @return usedReceiptSlot Whether an unused receipt slot was rejected (and so used).
    function _rejectOne(Task storage task, uint256 taskId, uint32 slot, address worker)
        private
        returns (bool usedReceiptSlot)
    {
        if (worker == address(0)) revert ZeroAddress();
        (SlotState state, Slot storage live) = _stateOf(task, taskId, slot);
        if (state == SlotState.Open && slot < task.receiptSlots) {
            // Work received off chain whose receipt was never presented.
            _requireNotParty(task, taskId, worker);
            _requireReceiptWindow(task, taskId);
            _setBits(taskId, slot, _BITS_LIVE);
            _slots[taskId][slot] = Slot(worker, SlotState.Rejected, uint64(block.timestamp));
            return true;
        }
        if (state != SlotState.Submitted) revert InvalidSlotState(taskId, slot, state);
        if (live.worker != worker) revert WorkerMismatch(taskId, slot, live.worker, worker);
        if (block.timestamp > uint256(live.timestamp) + task.reviewPeriod) revert ReviewPeriodOver(taskId, slot);
        live.state = SlotState.Rejected;
        live.timestamp = uint64(block.timestamp);
        return false;
    }

    /// @dev `bySignature`: a signed approval covers work under review (or unpresented receipt
    ///      work); a rejection made after signing revokes it, so it cannot pay a rejected or
    ///      disputed slot. A direct call can (the reviewer changing their mind).
    function _approve(
        Task storage task,
        uint256 taskId,
        uint32[] calldata slots,
        address[] calldata workers,
        bool bySignature
    ) private {
        _requireBatch(slots.length, workers.length);
        PaidSlots memory paid = _newPaidSlots(task, slots.length);
        uint32 receiptSlots = task.receiptSlots;
        mapping(uint256 word => uint256 bits) storage slotBits = _slotBits[taskId];
        for (uint256 i = 0; i < slots.length; ++i) {
            uint32 slot = slots[i];
            address worker = workers[i];
            if (worker == address(0)) revert ZeroAddress();
            uint256 shift = uint256(slot & 127) << 1;
            uint256 word = slotBits[slot >> 7];
            uint256 bits = (word >> shift) & 3;
            if (bits == _BITS_APPROVED) continue; // paid already; a relayed batch stays valid
            if (bits == _BITS_UNSET && slot < receiptSlots) {
                // The common gasless case: work received off chain, settled without a receipt
                // on chain. The slot has no word of its own; only its bits change.
                if (worker == paid.requester || worker == paid.verifier || worker == paid.arbitrator) {
                    revert TaskPartyCannotWork(taskId, worker);
                }
                ++paid.receiptSlotsUsed;
                slotBits[slot >> 7] = word | (_BITS_APPROVED << shift);
                _creditApproved(slot, worker, paid);
                continue;
            }
            (SlotState state, Slot storage live) = _stateOf(task, taskId, slot);
            bool reviewable = state == SlotState.Submitted
                || (!bySignature && (state == SlotState.Rejected || state == SlotState.Disputed));
            if (!reviewable) revert InvalidSlotState(taskId, slot, state);
            if (live.worker != worker) revert WorkerMismatch(taskId, slot, live.worker, worker);
            if (state == SlotState.Disputed) _accounts[paid.token][worker].disputesWon += 1;
            _pay(taskId, slot, worker, paid);
        }
        if (paid.receiptSlotsUsed != 0) _requireReceiptWindow(task, taskId);
        _book(task, taskId, ApprovalBasis.Review, paid);
    }

    /// @dev Pay a slot that has a live word: mark it approved, delete the word, credit the worker.
    function _pay(uint256 taskId, uint32 slot, address worker, PaidSlots memory paid) private {
        _setBits(taskId, slot, _BITS_APPROVED);
        delete _slots[taskId][slot];
        _creditApproved(slot, worker, paid);
    }

    /// @dev Credit one slot's reward and one approval to the worker, in one storage word; the
    ///      escrow and the fee are booked per batch.
    function _creditApproved(uint32 slot, address worker, PaidSlots memory paid) private {
        Account storage account = _accounts[paid.token][worker];
        uint256 balance = uint256(account.balance) + paid.reward;
        if (balance > type(uint128).max) revert BalanceOverflow(paid.token, worker);
        (account.balance, account.approved) = (uint128(balance), account.approved + 1);
        paid.slots[paid.count] = slot;
        paid.workers[paid.count] = worker;
        paid.count += 1;
    }

    /// @dev Take paid slots out of the escrow, credit their fees, and announce them.
    function _book(Task storage task, uint256 taskId, ApprovalBasis basis, PaidSlots memory paid) private {
        uint256 count = paid.count;
        if (count == 0) return;
        uint256 reward = paid.reward;
        uint256 fee = _fee(reward, task.feeBps);
        task.escrow -= uint128(count * (reward + fee)); // checked: never more than the task holds (P2)
        if (paid.receiptSlotsUsed != 0) task.receiptSlotsUsed += paid.receiptSlotsUsed;
        if (fee != 0) _credit(paid.token, _treasury, count * fee);
        uint32[] memory slots = paid.slots;
        address[] memory workers = paid.workers;
        assembly ("memory-safe") {
            // shrink the arrays to the slots actually paid
            mstore(slots, count)
            mstore(workers, count)
        }
        emit SlotsApproved(taskId, basis, slots, workers, reward, fee);
    }

    /// @dev End a slot unpaid: its funds go back to the requester.
    function _close(Task storage task, uint256 taskId, uint32 slot, address worker, bool rejected) private {
        uint256 refund = _perSlot(task.reward, task.feeBps);
        _setBits(taskId, slot, _BITS_CLOSED);
        delete _slots[taskId][slot];
        _refund(task, refund);
        if (rejected) _accounts[task.token][worker].rejected += 1;
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
        _credit(task.token, task.requester, amount);
    }

    function _credit(address token, address to, uint256 amount) private returns (Account storage account) {
        account = _accounts[token][to];
        uint256 balance = uint256(account.balance) + amount;
        if (balance > type(uint128).max) revert BalanceOverflow(token, to);
        account.balance = uint128(balance);
    }

    function _requireReceiptWindow(Task storage task, uint256 taskId) private view {
        if (task.receiptSlotsReclaimed || block.timestamp > _receiptWindowEnd(task)) {
            revert ReceiptWindowClosed(taskId);
        }
    }

    /// @dev The requester, verifier and arbitrator review, sign and rule on a task's work, so
    ///      none of them may be paid for doing it (on chain or through receipt slots).
    function _requireNotParty(Task storage task, uint256 taskId, address account) private view {
        if (account == task.requester || account == task.verifier || account == task.arbitrator) {
            revert TaskPartyCannotWork(taskId, account);
        }
    }

    function _requireQualified(Task storage task, uint256 taskId, address worker) private view {
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

    function _newPaidSlots(Task storage task, uint256 capacity) private view returns (PaidSlots memory) {
        return PaidSlots(
            new uint32[](capacity),
            new address[](capacity),
            0,
            0,
            task.token,
            task.reward,
            task.requester,
            task.verifier,
            task.arbitrator
        );
    }

    function _setBits(uint256 taskId, uint32 slot, uint256 bits) private {
        uint256 shift = uint256(slot & 127) << 1;
        mapping(uint256 word => uint256 bits) storage words = _slotBits[taskId];
        uint256 word = slot >> 7;
        words[word] = (words[word] & ~(uint256(3) << shift)) | (bits << shift);
    }

    function _bitsOf(uint256 taskId, uint32 slot) private view returns (uint256) {
        return (_slotBits[taskId][slot >> 7] >> (uint256(slot & 127) << 1)) & 3;
    }

    /// @dev A slot's state and its live word (empty for open receipt slots and final slots).
    function _stateOf(Task storage task, uint256 taskId, uint32 slot)
        private
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
        private
        view
        returns (Slot storage live)
    {
        SlotState state;
        (state, live) = _stateOf(task, taskId, slot);
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
