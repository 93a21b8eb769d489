// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {ITaskEscrowCore} from "./interfaces/ITaskEscrow.sol";
import {TaskEscrowBase} from "./TaskEscrowBase.sol";
import {TaskEscrowExtension} from "./TaskEscrowExtension.sol";

/// @title TaskEscrow
/// @notice Holds every task's funds, tracks every slot, settles in batches and keeps a ledger:
///         the escrow of `ITaskEscrow`, at this one address.
/// @dev One contract would pass the EVM's 24 KiB code limit (EIP-170), so the escrow is two:
///      this one runs what every paid assignment goes through (`ITaskEscrowCore`: creating,
///      claiming, submitting, presenting receipts, approving, finalizing, withdrawing, the
///      views); `TaskEscrowExtension`, which the constructor deploys, runs the rest
///      (`ITaskEscrowExtension`: rejections, disputes, rulings, equivocation proofs, a
///      requester's changes to a task, the operator's settings). The fallback hands every
///      other call to the extension by delegatecall, so its code runs on this contract's
///      storage, balance and address: one escrow, one ABI (`ITaskEscrow`; the compiler's
///      artifact of TaskEscrow carries the extension's functions too), one set of events.
///      Storage and rules are shared through `TaskEscrowBase`.
/// @custom:delegates-to TaskEscrowExtension
contract TaskEscrow is TaskEscrowBase, ITaskEscrowCore {
    using SafeERC20 for IERC20;

    /// @notice The code this escrow runs its other functions with (see the contract's note).
    address public immutable extension;

    /// @param initialOwner The operator.
    /// @param initialTreasury Where fees are credited.
    /// @param initialFeeBps The fee rate for new tasks, in basis points.
    /// @param initialArbitrator The default arbitrator (never zero).
    /// @param disputeWindow_ Seconds a rejected worker has to dispute.
    /// @param arbitrationTimeout_ Seconds the arbitrator has to rule.
    constructor(
        address initialOwner,
        address initialTreasury,
        uint16 initialFeeBps,
        address initialArbitrator,
        uint32 disputeWindow_,
        uint32 arbitrationTimeout_
    ) TaskEscrowBase(initialOwner, disputeWindow_, arbitrationTimeout_) {
        if (initialTreasury == address(0) || initialArbitrator == address(0)) revert ZeroAddress();
        if (initialFeeBps > MAX_FEE_BPS) revert FeeTooHigh(initialFeeBps, MAX_FEE_BPS);
        _treasury = initialTreasury;
        _feeBps = initialFeeBps;
        _defaultArbitrator = initialArbitrator;
        extension = address(new TaskEscrowExtension(initialOwner, disputeWindow_, arbitrationTimeout_));
        emit EscrowConfigured(
            initialTreasury, initialFeeBps, initialArbitrator, disputeWindow_, arbitrationTimeout_, _VERSION
        );
    }

    /// @notice Every function of `ITaskEscrowExtension`: run by the extension's code on this
    ///         escrow's storage.
    fallback() external payable {
        address target = extension;
        // slither-disable-next-line assembly
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), target, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @notice ETH comes in only with the call that it funds (a task, slots, a bonus).
    receive() external payable {
        revert WrongPayment(0, msg.value);
    }

    // ================================================================ requester

    /// @inheritdoc ITaskEscrowCore
    function createTask(TaskParams calldata params) external payable nonReentrant whenNotPaused returns (uint256) {
        return _createTask(params);
    }

    /// @inheritdoc ITaskEscrowCore
    function createTaskWithPermit(TaskParams calldata params, uint256 permitDeadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
        whenNotPaused
        returns (uint256)
    {
        if (params.token == address(0)) revert PermitForEthTask();
        _validate(params);
        uint256 total = uint256(params.slots) * (params.reward + _feeFor(params.token, params.reward));
        // A front-runner may have used the permit already; the allowance is what counts.
        try IERC20Permit(params.token).permit(msg.sender, address(this), total, permitDeadline, v, r, s) {} catch {}
        return _createTask(params);
    }

    // ================================================================ worker

    /// @inheritdoc ITaskEscrowCore
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

    /// @inheritdoc ITaskEscrowCore
    function release(uint256 taskId, uint32 slot) external nonReentrant {
        Task storage task = _task(taskId);
        Slot storage live = _workerSlot(task, taskId, slot, SlotState.Claimed);
        _freeClaim(task, taskId, slot, live, false);
    }

    /// @inheritdoc ITaskEscrowCore
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

    /// @inheritdoc ITaskEscrowCore
    function presentReceipts(Receipt[] calldata receipts, bytes[] calldata signatures) external nonReentrant {
        if (receipts.length == 0 || receipts.length != signatures.length) {
            revert InvalidBatch(receipts.length, signatures.length);
        }
        for (uint256 i = 0; i < receipts.length; ++i) {
            _presentReceipt(receipts[i], signatures[i]);
        }
    }

    // ================================================================ review

    /// @inheritdoc ITaskEscrowCore
    function approve(uint256 taskId, uint32[] calldata slots, address[] calldata workers, bool direct)
        external
        nonReentrant
    {
        Task storage task = _task(taskId);
        if (msg.sender != task.requester && msg.sender != task.verifier) revert NotReviewer(taskId, msg.sender);
        _approve(task, taskId, slots, workers, false, direct);
    }

    /// @inheritdoc ITaskEscrowCore
    function approveWithSignature(Approval calldata approval, bytes calldata signature) external nonReentrant {
        if (block.timestamp > approval.expiry) revert SignatureExpired(approval.expiry);
        Task storage task = _task(approval.taskId);
        _requireReviewerSignature(task, approval.taskId, _approvalDigest(approval), signature);
        _approve(task, approval.taskId, approval.slots, approval.workers, true, approval.direct);
    }

    /// @inheritdoc ITaskEscrowCore
    function finalize(uint256 taskId, uint32[] calldata slots) external nonReentrant {
        Task storage task = _task(taskId);
        if (slots.length == 0) revert InvalidBatch(0, 0);
        PaidSlots memory silent = _newPaidSlots(task, slots.length, false);
        PaidSlots memory timedOut = _newPaidSlots(task, slots.length, false);
        bool changed = false;
        for (uint256 i = 0; i < slots.length; ++i) {
            uint32 slot = slots[i];
            (SlotState state, Slot storage live) = _stateOf(task, taskId, slot);
            uint256 since = live.timestamp;
            if (state == SlotState.Claimed && block.timestamp > since) {
                _freeClaim(task, taskId, slot, live, true);
            } else if (state == SlotState.Submitted && block.timestamp > since + task.reviewPeriod) {
                _pay(task, taskId, slot, live.worker, silent);
            } else if (state == SlotState.Rejected && block.timestamp > since + _disputeWindow) {
                _close(task, taskId, slot, live.worker, true);
            } else if (state == SlotState.Disputed && block.timestamp > since + _arbitrationTimeout) {
                _accounts[task.token][live.worker].disputesWon += 1;
                _pay(task, taskId, slot, live.worker, timedOut);
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

    /// @inheritdoc ITaskEscrowCore
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

    // ================================================================ views

    /// @inheritdoc ITaskEscrowCore
    function getTask(uint256 taskId) external view returns (Task memory) {
        return _task(taskId);
    }

    /// @inheritdoc ITaskEscrowCore
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
        bool settled = state == SlotState.Approved || state == SlotState.Closed;
        return SlotView(state, live.worker, settled ? 0 : live.timestamp);
    }

    /// @inheritdoc ITaskEscrowCore
    function balanceOf(address token, address account) external view returns (uint256) {
        return _accounts[token][account].balance;
    }

    /// @inheritdoc ITaskEscrowCore
    function reputationOf(address worker, address token) external view returns (Reputation memory) {
        Account storage account = _accounts[token][worker];
        return Reputation(account.approved, account.rejected, account.disputesWon, account.disputesLost);
    }

    /// @inheritdoc ITaskEscrowCore
    function taskCount() external view returns (uint256) {
        return _taskCount;
    }

    /// @inheritdoc ITaskEscrowCore
    function feeBps() external view returns (uint16) {
        return _feeBps;
    }

    /// @inheritdoc ITaskEscrowCore
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc ITaskEscrowCore
    function defaultArbitrator() external view returns (address) {
        return _defaultArbitrator;
    }

    /// @inheritdoc ITaskEscrowCore
    function minimumFee(address token) external view returns (uint128) {
        return _minimumFees[token];
    }

    /// @inheritdoc ITaskEscrowCore
    function feeFor(address token, uint256 reward) external view returns (uint256) {
        return _feeFor(token, reward);
    }

    /// @inheritdoc ITaskEscrowCore
    function version() external pure returns (uint16) {
        return _VERSION;
    }

    /// @inheritdoc ITaskEscrowCore
    function disputeWindow() external view returns (uint32) {
        return _disputeWindow;
    }

    /// @inheritdoc ITaskEscrowCore
    function arbitrationTimeout() external view returns (uint32) {
        return _arbitrationTimeout;
    }
}
