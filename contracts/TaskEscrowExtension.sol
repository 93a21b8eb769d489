// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ITaskEscrowExtension} from "./interfaces/ITaskEscrow.sol";
import {TaskEscrowBase} from "./TaskEscrowBase.sol";

/// @title TaskEscrowExtension
/// @notice The functions of `ITaskEscrowExtension`, run by `TaskEscrow` on its own storage: its
///         fallback delegates every call it does not handle itself to this code (see
///         TaskEscrow). Deployed by TaskEscrow's constructor with the same dispute window and
///         arbitration timeout; its own storage is never used and it holds no funds, so calling
///         it directly changes nothing that matters.
contract TaskEscrowExtension is TaskEscrowBase, ITaskEscrowExtension {
    /// @param initialOwner The escrow's operator (its own storage is unused).
    /// @param disputeWindow_ The escrow's dispute window.
    /// @param arbitrationTimeout_ The escrow's arbitration timeout.
    constructor(address initialOwner, uint32 disputeWindow_, uint32 arbitrationTimeout_)
        TaskEscrowBase(initialOwner, disputeWindow_, arbitrationTimeout_)
    {}

    // ================================================================ requester

    /// @inheritdoc ITaskEscrowExtension
    function addSlots(uint256 taskId, uint32 count) external payable nonReentrant whenNotPaused {
        Task storage task = _requesterTask(taskId);
        if (task.cancelled) revert TaskIsCancelled(taskId);
        uint256 newCount = uint256(task.slotCount) + count;
        if (count == 0 || newCount > MAX_SLOTS) revert InvalidSlotsAdded(taskId, newCount, count);
        uint256 funded = uint256(count) * _perSlot(task);
        task.slotCount = uint32(newCount);
        task.openSlots += count;
        task.escrow = SafeCast.toUint128(task.escrow + funded);
        emit SlotsAdded(taskId, count, uint32(newCount), funded);
        _collect(task.token, funded);
    }

    /// @inheritdoc ITaskEscrowExtension
    function extendDeadline(uint256 taskId, uint64 deadline) external {
        Task storage task = _requesterTask(taskId);
        if (task.cancelled) revert TaskIsCancelled(taskId);
        if (deadline <= task.deadline) revert DeadlineNotLater(task.deadline, deadline);
        task.deadline = deadline;
        emit DeadlineExtended(taskId, deadline);
    }

    /// @inheritdoc ITaskEscrowExtension
    function cancel(uint256 taskId) external nonReentrant {
        Task storage task = _requesterTask(taskId);
        if (task.cancelled) revert TaskIsCancelled(taskId);
        task.cancelled = true;
        // No receipt may claim work from after the cancellation.
        if (task.deadline > block.timestamp) task.deadline = uint64(block.timestamp);
        uint256 refund = uint256(task.openSlots) * _perSlot(task);
        task.openSlots = 0;
        _refund(task, refund);
        emit TaskCancelled(taskId, refund);
    }

    /// @inheritdoc ITaskEscrowExtension
    function reclaimReceiptSlots(uint256 taskId) external nonReentrant {
        Task storage task = _task(taskId);
        if (task.receiptSlotsReclaimed) revert ReceiptWindowClosed(taskId);
        uint256 closesAt = _equivocationWindowEnd(task);
        if (block.timestamp <= closesAt) revert ReceiptWindowOpen(taskId, closesAt);
        task.receiptSlotsReclaimed = true;
        uint32 unused = task.receiptSlots - task.receiptSlotsUsed;
        uint256 refund = uint256(unused) * _perSlot(task);
        _refund(task, refund);
        emit ReceiptSlotsReclaimed(taskId, unused, refund);
    }

    /// @inheritdoc ITaskEscrowExtension
    function bonus(uint256 taskId, address worker, uint256 amount) external payable nonReentrant {
        Task storage task = _requesterTask(taskId);
        if (worker == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        _credit(task.token, worker, amount);
        emit BonusPaid(taskId, worker, amount);
        _collect(task.token, amount);
    }

    // ================================================================ worker

    /// @inheritdoc ITaskEscrowExtension
    function proveEquivocation(
        Receipt calldata receipt,
        bytes calldata signature,
        uint32[] calldata batchSlots,
        address[] calldata batchWorkers,
        uint32 paidSlot
    ) external nonReentrant {
        uint256 taskId = receipt.taskId;
        Task storage task = _task(taskId);
        uint32 slot = receipt.slot;
        address worker = receipt.worker;
        if (slot >= task.receiptSlots) revert SlotNotForReceipts(taskId, slot);
        if (block.timestamp > _equivocationWindowEnd(task)) revert EquivocationWindowClosed(taskId);
        _requireReceipt(task, receipt, signature);
        (SlotState state, Slot storage live) = _stateOf(task, taskId, slot);
        address holder = live.worker;
        if (holder == address(0) && state == SlotState.Approved) {
            holder = _batchWorker(taskId, slot, batchSlots, batchWorkers);
        }
        bytes32 key = keccak256(abi.encode(taskId, slot, worker));
        if (holder == address(0) || holder == worker || _equivocationPaid[key]) {
            revert NotEquivocation(taskId, slot, worker);
        }
        _equivocationPaid[key] = true;
        emit EquivocationProven(taskId, slot, worker, paidSlot);
        _payForEquivocation(task, taskId, paidSlot, worker);
    }

    /// @inheritdoc ITaskEscrowExtension
    function dispute(uint256 taskId, uint32 slot, bytes calldata reasonCid) external nonReentrant {
        Task storage task = _task(taskId);
        if (reasonCid.length == 0) revert EmptyCid();
        Slot storage live = _workerSlot(task, taskId, slot, SlotState.Rejected);
        if (block.timestamp > uint256(live.timestamp) + _disputeWindow) revert DisputeWindowOver(taskId, slot);
        live.state = SlotState.Disputed;
        live.timestamp = uint64(block.timestamp);
        emit DisputeOpened(taskId, slot, msg.sender, reasonCid);
    }

    // ================================================================ review

    /// @inheritdoc ITaskEscrowExtension
    function reject(uint256 taskId, uint32[] calldata slots, address[] calldata workers, bytes calldata reasonCid)
        external
        nonReentrant
    {
        Task storage task = _reviewerTask(taskId, reasonCid);
        _requireBatch(slots.length, workers.length);
        uint32 receiptSlots = task.receiptSlots;
        for (uint256 i = 0; i < slots.length; ++i) {
            uint32 slot = slots[i];
            // An unpresented receipt slot has no worker on chain: naming one is what a
            // rejection must not do (see rejectReceipts). A presented one names its holder.
            if (slot < receiptSlots && _bitsOf(taskId, slot) == _BITS_UNSET) {
                revert ReceiptProofRequired(taskId, slot);
            }
            _rejectSubmitted(task, taskId, slot, workers[i]);
        }
        emit SlotsRejected(taskId, slots, workers, reasonCid);
    }

    /// @inheritdoc ITaskEscrowExtension
    function rejectReceipts(uint256 taskId, ReceiptRejection[] calldata rejections, bytes calldata reasonCid)
        external
        nonReentrant
    {
        Task storage task = _reviewerTask(taskId, reasonCid);
        uint256 count = rejections.length;
        if (count == 0) revert InvalidBatch(0, 0);
        uint32[] memory slots = new uint32[](count);
        address[] memory workers = new address[](count);
        uint32 receiptSlotsUsed = 0;
        for (uint256 i = 0; i < count; ++i) {
            ReceiptRejection calldata rejection = rejections[i];
            Receipt calldata receipt = rejection.receipt;
            (uint32 slot, address worker) = (receipt.slot, receipt.worker);
            if (receipt.taskId != taskId) revert ReceiptForAnotherTask(taskId, receipt.taskId);
            if (slot >= task.receiptSlots) revert SlotNotForReceipts(taskId, slot);
            if (!SignatureChecker.isValidSignatureNowCalldata(
                    worker, _submissionDigest(taskId, slot, worker, rejection.envelopeHash), rejection.workerSignature
                )) revert InvalidWorkerSignature(taskId, slot, worker);
            (SlotState state,) = _stateOf(task, taskId, slot);
            if (state == SlotState.Open) {
                // Work received off chain whose receipt was never presented: the receipt puts
                // its worker on the slot, rejected, so they can dispute.
                _requireReceipt(task, receipt, rejection.signature);
                _requireReceiptWindow(task, taskId);
                _setBits(taskId, slot, _BITS_LIVE);
                _slots[taskId][slot] = Slot(worker, SlotState.Rejected, uint64(block.timestamp));
                ++receiptSlotsUsed;
            } else {
                _rejectSubmitted(task, taskId, slot, worker);
            }
            (slots[i], workers[i]) = (slot, worker);
        }
        if (receiptSlotsUsed != 0) task.receiptSlotsUsed += receiptSlotsUsed;
        emit SlotsRejected(taskId, slots, workers, reasonCid);
    }

    /// @inheritdoc ITaskEscrowExtension
    function rule(uint256 taskId, uint32 slot, bool pay, bytes calldata reasonCid) external nonReentrant {
        Task storage task = _task(taskId);
        if (msg.sender != task.arbitrator) revert NotArbitrator(taskId, msg.sender);
        (SlotState state, Slot storage live) = _stateOf(task, taskId, slot);
        if (state != SlotState.Disputed) revert InvalidSlotState(taskId, slot, state);
        if (block.timestamp > uint256(live.timestamp) + _arbitrationTimeout) revert ArbitrationTimedOut(taskId, slot);
        if (!pay && reasonCid.length == 0) revert EmptyCid(); // upholding a rejection needs reasons
        address worker = live.worker;
        emit DisputeRuled(taskId, slot, worker, pay, reasonCid);
        Account storage account = _accounts[task.token][worker];
        if (pay) {
            account.disputesWon += 1;
            PaidSlots memory paid = _newPaidSlots(task, 1, false);
            _pay(task, taskId, slot, worker, paid);
            _book(task, taskId, ApprovalBasis.Arbitration, paid);
        } else {
            account.disputesLost += 1;
            _close(task, taskId, slot, worker, true);
        }
    }

    // ================================================================ operator

    /// @inheritdoc ITaskEscrowExtension
    function setFee(uint16 newFeeBps) external onlyOwner {
        if (newFeeBps > MAX_FEE_BPS) revert FeeTooHigh(newFeeBps, MAX_FEE_BPS);
        emit FeeChanged(_feeBps, newFeeBps);
        _feeBps = newFeeBps;
    }

    /// @inheritdoc ITaskEscrowExtension
    function setTreasury(address newTreasury) external onlyOwner {
        if (newTreasury == address(0)) revert ZeroAddress();
        emit TreasuryChanged(_treasury, newTreasury);
        _treasury = newTreasury;
    }

    /// @inheritdoc ITaskEscrowExtension
    function setDefaultArbitrator(address newArbitrator) external onlyOwner {
        if (newArbitrator == address(0)) revert ZeroAddress();
        emit DefaultArbitratorChanged(_defaultArbitrator, newArbitrator);
        _defaultArbitrator = newArbitrator;
    }

    /// @inheritdoc ITaskEscrowExtension
    function setMinimumFee(address token, uint128 amount) external onlyOwner {
        emit MinimumFeeChanged(token, _minimumFees[token], amount);
        _minimumFees[token] = amount;
    }

    /// @inheritdoc ITaskEscrowExtension
    function pause() external onlyOwner {
        _pause();
    }

    /// @inheritdoc ITaskEscrowExtension
    function unpause() external onlyOwner {
        _unpause();
    }

    // ================================================================ views

    /// @inheritdoc ITaskEscrowExtension
    function receiptDigest(Receipt calldata receipt) external view returns (bytes32) {
        return _receiptDigest(receipt);
    }

    /// @inheritdoc ITaskEscrowExtension
    function approvalDigest(Approval calldata approval) external view returns (bytes32) {
        return _approvalDigest(approval);
    }
}
