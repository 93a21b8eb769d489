// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ITaskEscrowTypes
/// @notice The escrow's types, errors and events: shared by both halves of `ITaskEscrow`.
interface ITaskEscrowTypes {
    // ---------------------------------------------------------------- types

    /// @notice Where a slot stands. `Open` to `Disputed` are live states kept per slot;
    ///         `Approved` and `Closed` are final and kept in a compact per-task bitmap.
    enum SlotState {
        Open, // nobody holds it
        Claimed, // a worker holds it under a lease
        Submitted, // work is in (on chain, or by a presented receipt) and under review
        Rejected, // rejected; the worker may dispute within the dispute window
        Disputed, // the arbitrator decides; unanswered disputes pay the worker
        Approved, // paid to the worker (final)
        Closed // rejected for good, or lapsed after a cancel; funds back to the requester (final)
    }

    /// @notice Why a slot was paid.
    enum ApprovalBasis {
        Review, // the requester or verifier approved it
        Silence, // nobody rejected it within the review period
        Arbitration, // the arbitrator ruled for the worker
        ArbitrationTimeout, // the arbitrator did not rule in time
        Equivocation // its slot was open; it pays a receipt holder whose own slot went to another worker
    }


    /// @notice What a requester asks for when creating a task.
    /// @param manifestCid IPFS CID of the task manifest (binary form), emitted, not stored.
    /// @param token Token paid in; address(0) for ETH.
    /// @param reward Pay per approved slot, in the token's smallest unit.
    /// @param slots Number of assignments funded.
    /// @param receiptSlots How many of them (the first ones) are filled through signed
    ///        receipts only; on-chain claims take the others, so the two never collide.
    /// @param deadline Last moment to claim a slot on chain, and the latest `submittedAt` a
    ///        receipt may carry (unix seconds). A slot claimed by then may still be submitted
    ///        until its lease ends, as an accepted MTurk assignment outlives its HIT.
    /// @param reviewPeriod Seconds after a submission during which it may be rejected.
    /// @param lease Seconds a worker holds a claimed slot before it lapses.
    /// @param verifier May approve, reject and sign receipts for the requester; 0 for none.
    /// @param arbitrator Rules on disputes; 0 for the operator's default arbitrator.
    /// @param minApproved Claims need at least this many approved slots on the worker's record
    ///        in this token.
    /// @param minApprovalBps Claims need approved / (approved + rejected) of at least this, in
    ///        basis points (workers without history pass).
    /// @param maxFee The highest fee per paid slot the requester accepts (in the token's
    ///        smallest unit): creation reverts with `FeeAboveMaximum` if the owner raised the fee
    ///        (or the token's minimum fee) after the requester looked.
    /// @param expectedArbitrator With `arbitrator` zero: the default arbitrator the requester
    ///        expects; creation reverts with `ArbitratorChanged` if the owner changed it. With
    ///        `arbitrator` set: zero or that same address.
    struct TaskParams {
        bytes manifestCid;
        address token;
        uint128 reward;
        uint32 slots;
        uint32 receiptSlots;
        uint64 deadline;
        uint32 reviewPeriod;
        uint32 lease;
        address verifier;
        address arbitrator;
        uint32 minApproved;
        uint16 minApprovalBps;
        uint128 maxFee;
        address expectedArbitrator;
    }

    /// @notice A task as stored, in six storage words. `fee` is the fee per paid slot, fixed at
    ///         creation: max(ceil(reward x feeBps / 10,000), the token's minimum fee).
    struct Task {
        address requester;
        uint64 deadline;
        uint32 slotCount;
        address token;
        uint32 reviewPeriod;
        uint32 lease;
        uint16 feeBps;
        bool cancelled;
        bool receiptSlotsReclaimed;
        address verifier;
        uint32 receiptSlots;
        uint32 openSlots; // claimable slots (index >= receiptSlots) that nobody holds
        uint32 receiptSlotsUsed; // receipt slots that have left the Open state
        address arbitrator;
        uint32 minApproved;
        uint16 minApprovalBps;
        uint128 reward;
        uint128 escrow; // funds still held for this task: (reward + fee) per unsettled slot
        uint128 fee; // the fee per paid slot, credited to the treasury
    }

    /// @notice A slot as a view returns it.
    struct SlotView {
        SlotState state;
        address worker; // once final: kept for receipt slots that had a worker on chain, else zero
        uint64 timestamp; // lease end, submitted at, rejected at or disputed at; zero once final
    }

    /// @notice A worker's record in tasks paid in one token. It shares a storage word with the
    ///         worker's balance in that token, so paying a slot writes one word per worker.
    struct Reputation {
        uint32 approved;
        uint32 rejected;
        uint32 disputesWon;
        uint32 disputesLost;
    }

    /// @notice Signed by the task's requester or verifier (EIP-712): this worker's work for
    ///         this slot was received at `submittedAt`. Anyone may present it to fill its slot
    ///         before `expiry`; as proof that the slot went to someone else it counts until the
    ///         equivocation window closes (receipt window + dispute window), whatever `expiry`.
    struct Receipt {
        uint256 taskId;
        uint32 slot;
        address worker;
        bytes32 resultDigest;
        uint64 submittedAt;
        uint64 expiry;
    }

    /// @notice Signed by the task's requester or verifier (EIP-712): approve these slots for
    ///         these workers (`direct`: paying each to their own address). Anyone may relay it
    ///         before `expiry`.
    struct Approval {
        uint256 taskId;
        uint32[] slots;
        address[] workers;
        bool direct;
        uint64 expiry;
    }

    /// @notice A receipt slot's rejection, with its proof: the slot's receipt (signed by the
    ///         requester or verifier; only its slot and worker are read once it was presented)
    ///         and the named worker's EIP-712 `Submission(taskId, slot, worker, envelopeHash)`
    ///         signature, which workers sign in every submission envelope. So only a worker who
    ///         handed in work for the slot can be rejected for it, and that worker, the
    ///         receipt's holder, is the one who may dispute.
    struct ReceiptRejection {
        Receipt receipt;
        bytes signature;
        bytes32 envelopeHash;
        bytes workerSignature;
    }

    // ---------------------------------------------------------------- errors

    /// @notice No task has this id.
    error TaskNotFound(uint256 taskId);
    /// @notice Only the task's requester may do this.
    error NotRequester(uint256 taskId, address caller);
    /// @notice Only the task's requester or verifier may do this.
    error NotReviewer(uint256 taskId, address caller);
    /// @notice Only the task's arbitrator may do this.
    error NotArbitrator(uint256 taskId, address caller);
    /// @notice Only the worker holding the slot may do this.
    error NotSlotWorker(uint256 taskId, uint32 slot, address caller);
    /// @notice The manifest CID is empty.
    error EmptyManifest();
    /// @notice The result or reason CID is empty.
    error EmptyCid();
    /// @notice The reward per slot must be positive.
    error InvalidReward();
    /// @notice A new task's slot count must be positive and at most the maximum, with its
    ///         receipt slots among them.
    /// @param slots The slots asked for.
    /// @param receiptSlots How many of them were to be receipt slots.
    error InvalidSlotCount(uint256 slots, uint256 receiptSlots);
    /// @notice Adding slots must add at least one and keep the task within the maximum.
    /// @param taskId The task.
    /// @param slotCount The slot count the task would have had.
    /// @param added The slots asked to be added.
    error InvalidSlotsAdded(uint256 taskId, uint256 slotCount, uint32 added);
    /// @notice The deadline must be in the future.
    error InvalidDeadline(uint64 deadline, uint64 currentTime);
    /// @notice A task's review period and lease must be positive and at most the maximum period.
    /// @param reviewPeriod The review period asked for.
    /// @param lease The lease asked for.
    error InvalidPeriod(uint32 reviewPeriod, uint32 lease);
    /// @notice The dispute window must be positive and at most the maximum period.
    /// @param disputeWindow The dispute window the escrow was deployed with.
    error InvalidDisputeWindow(uint32 disputeWindow);
    /// @notice The arbitration timeout must be positive and at most the maximum period.
    /// @param arbitrationTimeout The arbitration timeout the escrow was deployed with.
    error InvalidArbitrationTimeout(uint32 arbitrationTimeout);
    /// @notice An approval rate above 100%.
    error InvalidApprovalRate(uint16 minApprovalBps);
    /// @notice The ETH sent does not match what the call costs.
    error WrongPayment(uint256 expected, uint256 received);
    /// @notice The token address holds no contract.
    error TokenNotAContract(address token);
    /// @notice Permits fund ERC-20 tasks only; ETH tasks send value.
    error PermitForEthTask();
    /// @notice The token delivered less than was transferred (fee-on-transfer tokens are refused).
    error UnsupportedToken(address token, uint256 expected, uint256 received);
    /// @notice The task is cancelled.
    error TaskIsCancelled(uint256 taskId);
    /// @notice The task's deadline has passed.
    error TaskExpired(uint256 taskId, uint64 deadline);
    /// @notice The slot index is past the task's slots.
    error SlotOutOfRange(uint256 taskId, uint32 slot);
    /// @notice This slot is filled through signed receipts only.
    error SlotReservedForReceipts(uint256 taskId, uint32 slot);
    /// @notice This slot is claimed on chain; receipts cannot fill it.
    error SlotNotForReceipts(uint256 taskId, uint32 slot);
    /// @notice The slot is not in a state that allows this.
    error InvalidSlotState(uint256 taskId, uint32 slot, SlotState state);
    /// @notice The worker already holds an open slot on this task.
    error AlreadyHoldsSlot(uint256 taskId, address worker);
    /// @notice The worker's record does not meet the task's qualification thresholds.
    error NotQualified(uint256 taskId, address worker, uint32 approved, uint32 rejected);
    /// @notice The task's requester, verifier and arbitrator cannot work on it.
    error TaskPartyCannotWork(uint256 taskId, address account);
    /// @notice The slot's lease has ended.
    error LeaseExpired(uint256 taskId, uint32 slot, uint64 leaseEnd);
    /// @notice The review period of this submission is over; it can only be approved now.
    error ReviewPeriodOver(uint256 taskId, uint32 slot);
    /// @notice The dispute window of this rejection is over.
    error DisputeWindowOver(uint256 taskId, uint32 slot);
    /// @notice Receipts for this task can no longer be presented or settled.
    error ReceiptWindowClosed(uint256 taskId);
    /// @notice The receipt window of this task is still open.
    error ReceiptWindowOpen(uint256 taskId, uint256 closesAt);
    /// @notice A signed receipt or approval has expired.
    error SignatureExpired(uint64 expiry);
    /// @notice The signature is not the requester's or the verifier's.
    error InvalidSignature(uint256 taskId);
    /// @notice A receipt says the work arrived after the task's deadline.
    error SubmittedAfterDeadline(uint64 submittedAt, uint64 deadline);
    /// @notice The batch names a different worker for this slot than the one holding it.
    error WorkerMismatch(uint256 taskId, uint32 slot, address holder, address named);
    /// @notice Parallel arrays of different lengths, or an empty batch.
    error InvalidBatch(uint256 first, uint256 second);
    /// @notice None of the slots had anything to finalize.
    error NothingToFinalize(uint256 taskId);
    /// @notice The new deadline must be later than the current one.
    error DeadlineNotLater(uint64 current, uint64 requested);
    /// @notice The fee is above the maximum.
    error FeeTooHigh(uint16 feeBps, uint16 maxFeeBps);
    /// @notice A zero address where an account is required.
    error ZeroAddress();
    /// @notice The amount must be positive.
    error ZeroAmount();
    /// @notice A ledger balance would pass 2^128 - 1; withdraw some first.
    error BalanceOverflow(address token, address account);
    /// @notice The ledger balance is too small.
    error InsufficientBalance(address token, address account, uint256 balance, uint256 needed);
    /// @notice Sending ETH failed; the balance stays in the ledger (withdraw to another address).
    error EthTransferFailed(address to, uint256 amount);
    /// @notice A task's arbitrator may not be its requester or its verifier.
    error ArbitratorIsParty(address arbitrator);
    /// @notice The default arbitrator is not the one the requester expected.
    error ArbitratorChanged(address expected, address current);
    /// @notice The fee per slot is above the highest the requester accepts.
    error FeeAboveMaximum(uint256 fee, uint256 maxFee);
    /// @notice The arbitration timeout of this dispute is over: only `finalize` (paying the
    ///         worker) can settle it now.
    error ArbitrationTimedOut(uint256 taskId, uint32 slot);
    /// @notice An unpresented receipt slot is rejected with its receipt and the worker's
    ///         signature (`rejectReceipts`), never by naming a worker.
    error ReceiptProofRequired(uint256 taskId, uint32 slot);
    /// @notice The receipt names another task than the call.
    error ReceiptForAnotherTask(uint256 taskId, uint256 receiptTaskId);
    /// @notice The worker's `Submission` signature does not check out.
    error InvalidWorkerSignature(uint256 taskId, uint32 slot, address worker);
    /// @notice The slot did not go to another worker than the receipt's (or this receipt's
    ///         holder was paid for it already): there is nothing to prove.
    error NotEquivocation(uint256 taskId, uint32 slot, address worker);
    /// @notice The batch shown is not the one that paid this slot.
    error BatchMismatch(uint256 taskId, uint32 slot);
    /// @notice Equivocation is proven until the receipt window and a dispute window after it
    ///         have passed.
    error EquivocationWindowClosed(uint256 taskId);
    /// @notice The slot named to pay a receipt's holder is not an open slot of the task that
    ///         still holds its funds.
    error FundingSlotUnavailable(uint256 taskId, uint32 slot);
    /// @notice A direct payment must be given its full gas, so that a failure is the
    ///         recipient's and not a relayer's doing: send the call with more gas.
    error GasTooLowForDirectPayment(uint256 needed);

    // ---------------------------------------------------------------- events

    /// @notice A task was created and funded.
    /// @param taskId The new task's id.
    /// @param requester Who funded it.
    /// @param token The token it pays in (address(0) for ETH).
    /// @param manifestCid The manifest's CID.
    /// @param task The stored task, including the fee snapshot and escrowed amount.
    event TaskCreated(
        uint256 indexed taskId, address indexed requester, address indexed token, bytes manifestCid, Task task
    );
    /// @notice Slots were added and funded.
    event SlotsAdded(uint256 indexed taskId, uint32 added, uint32 slotCount, uint256 funded);
    /// @notice The deadline moved later.
    event DeadlineExtended(uint256 indexed taskId, uint64 deadline);
    /// @notice The requester cancelled; `refunded` went to their ledger balance at once.
    event TaskCancelled(uint256 indexed taskId, uint256 refunded);
    /// @notice Unused receipt slots were refunded after the receipt window closed.
    event ReceiptSlotsReclaimed(uint256 indexed taskId, uint32 slots, uint256 refunded);
    /// @notice A worker claimed a slot.
    event SlotClaimed(uint256 indexed taskId, uint32 slot, address indexed worker, uint64 leaseEnd);
    /// @notice A claimed slot became open again: released by its worker, or its lease lapsed.
    event SlotFreed(uint256 indexed taskId, uint32 slot, address indexed worker, bool lapsed);
    /// @notice Work was submitted on chain.
    event WorkSubmitted(uint256 indexed taskId, uint32 slot, address indexed worker, bytes resultCid);
    /// @notice A signed receipt was presented: the slot counts as submitted at `submittedAt`.
    event ReceiptPresented(
        uint256 indexed taskId,
        uint32 slot,
        address indexed worker,
        bytes32 resultDigest,
        uint64 submittedAt,
        address indexed signer
    );
    /// @notice Slots were paid: each worker got `reward`, the treasury `fee`. `direct`: the
    ///         rewards went to the workers' own addresses, except where a
    ///         `DirectPaymentFailed` of the same call says they were credited to the ledger.
    event SlotsApproved(
        uint256 indexed taskId,
        ApprovalBasis basis,
        uint32[] slots,
        address[] workers,
        uint256 reward,
        uint256 fee,
        bool direct
    );
    /// @notice An approval skipped a slot that was settled already (or, for a signed approval,
    ///         rejected since): the rest of its batch went through.
    event ApprovalSkipped(uint256 indexed taskId, uint32 slot, SlotState state);
    /// @notice A presented receipt changed nothing: its slot was no longer open (its worker
    ///         holds it already, or it went to another worker: see `proveEquivocation`).
    event ReceiptSkipped(uint256 indexed taskId, uint32 slot, address indexed worker);
    /// @notice A receipt's signer gave its slot to another worker: the receipt's holder was
    ///         paid instead through `paidSlot`, an open slot of the task (its `SlotsApproved`,
    ///         basis `Equivocation`, is in the same call).
    event EquivocationProven(uint256 indexed taskId, uint32 slot, address indexed worker, uint32 paidSlot);
    /// @notice A direct payment failed (the token refused, or the address took no ETH): the
    ///         reward was credited to the worker's ledger balance instead.
    event DirectPaymentFailed(uint256 indexed taskId, uint32 slot, address indexed worker, uint256 amount);
    /// @notice Slots were rejected, with the reviewer's reasons at `reasonCid`.
    event SlotsRejected(uint256 indexed taskId, uint32[] slots, address[] workers, bytes reasonCid);
    /// @notice A worker disputed a rejection.
    event DisputeOpened(uint256 indexed taskId, uint32 slot, address indexed worker, bytes reasonCid);
    /// @notice The arbitrator ruled; a paid slot is then approved, an unpaid one closed.
    event DisputeRuled(uint256 indexed taskId, uint32 slot, address indexed worker, bool paid, bytes reasonCid);
    /// @notice A slot ended unpaid; its funds went back to the requester's balance.
    event SlotClosed(uint256 indexed taskId, uint32 slot, address indexed worker, uint256 refunded);
    /// @notice The requester paid a worker extra.
    event BonusPaid(uint256 indexed taskId, address indexed worker, uint256 amount);
    /// @notice Ledger funds left the contract.
    event Withdrawn(address indexed token, address indexed account, address to, uint256 amount);
    /// @notice The escrow was deployed with these settings (the owner is in OwnershipTransferred).
    event EscrowConfigured(
        address indexed treasury,
        uint16 feeBps,
        address indexed defaultArbitrator,
        uint32 disputeWindow,
        uint32 arbitrationTimeout,
        uint16 version
    );
    /// @notice The protocol fee for new tasks changed.
    event FeeChanged(uint16 previous, uint16 current);
    /// @notice The treasury changed.
    event TreasuryChanged(address indexed previous, address indexed current);
    /// @notice The default arbitrator for new tasks changed.
    event DefaultArbitratorChanged(address indexed previous, address indexed current);
    /// @notice The minimum fee per paid slot of new tasks in `token` changed.
    event MinimumFeeChanged(address indexed token, uint256 previous, uint256 current);
}

/// @title ITaskEscrowCore
/// @notice What `TaskEscrow` runs itself: the paths every paid assignment takes (creating,
///         claiming, submitting, presenting receipts, approving, finalizing, withdrawing)
///         and the views. Part of `ITaskEscrow`.
interface ITaskEscrowCore is ITaskEscrowTypes {
    // ---------------------------------------------------------------- requester

    /// @notice Create a task and fund it: (reward + fee) x slots. ETH tasks send exactly that
    ///         as value; ERC-20 tasks need an allowance (or use createTaskWithPermit). The
    ///         task's arbitrator (its own, or the default) may not be its requester or verifier.
    /// @param params What the task is and pays.
    /// @return taskId The new task's id.
    function createTask(TaskParams calldata params) external payable returns (uint256 taskId);

    /// @notice Create an ERC-20 task funded through an EIP-2612 permit instead of an approve.
    /// @param params What the task is and pays.
    /// @param permitDeadline The permit's deadline.
    /// @param v Permit signature part.
    /// @param r Permit signature part.
    /// @param s Permit signature part.
    /// @return taskId The new task's id.
    function createTaskWithPermit(
        TaskParams calldata params,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 taskId);

    // ---------------------------------------------------------------- worker

    /// @notice Claim an open claimable slot for the task's lease.
    /// @param taskId The task.
    /// @param slot The slot index (at least the task's receiptSlots).
    function claim(uint256 taskId, uint32 slot) external;

    /// @notice Give a claimed slot back.
    /// @param taskId The task.
    /// @param slot The slot.
    function release(uint256 taskId, uint32 slot) external;

    /// @notice Submit the result for a claimed slot before its lease ends (the lease, not the
    ///         deadline, bounds a submission: see `TaskParams.deadline`).
    /// @param taskId The task.
    /// @param slot The slot.
    /// @param resultCid CID of the (encrypted) submission envelope.
    function submit(uint256 taskId, uint32 slot, bytes calldata resultCid) external;

    /// @notice Present signed receipts. For each: an open slot counts as submitted at the
    ///         receipt's time (before its expiry, while the receipt window is open); any other
    ///         slot is skipped (`ReceiptSkipped`), so presenting twice, or after a third party
    ///         did, changes nothing and the rest of the batch goes through. A slot that went to
    ///         another worker is provable equivocation: see `proveEquivocation`.
    /// @param receipts The receipts.
    /// @param signatures The requester's or verifier's signature of each.
    function presentReceipts(Receipt[] calldata receipts, bytes[] calldata signatures) external;

    // ---------------------------------------------------------------- review

    /// @notice Approve slots in one call. For a slot that a worker submitted, `workers[i]`
    ///         must name that worker; for an unused receipt slot it names who did the work
    ///         (the escrow keeps a hash of such a batch, so a receipt holder it did not name
    ///         can prove it: `proveEquivocation`). A slot settled already is skipped
    ///         (`ApprovalSkipped`). Each approval costs the task's fee, at least the token's
    ///         minimum fee: a record cannot be forged for free.
    /// @param taskId The task.
    /// @param slots The slots.
    /// @param workers Who is paid for each slot.
    /// @param direct Pay each reward to the worker's own address (gas-capped; a transfer that
    ///        fails is credited to the ledger instead) rather than to the ledger.
    function approve(uint256 taskId, uint32[] calldata slots, address[] calldata workers, bool direct)
        external;

    /// @notice Relay an approval the requester or verifier signed.
    /// @param approval What is approved.
    /// @param signature The requester's or verifier's EIP-712 signature.
    function approveWithSignature(Approval calldata approval, bytes calldata signature) external;

    /// @notice Apply what time decides, for anyone: lapse expired leases, pay submissions
    ///         left unreviewed past the review period, close rejections left undisputed past
    ///         the dispute window, and pay disputes left unruled past the arbitration timeout.
    ///         Slots with nothing due are skipped.
    /// @param taskId The task.
    /// @param slots The slots.
    function finalize(uint256 taskId, uint32[] calldata slots) external;

    // ---------------------------------------------------------------- ledger

    /// @notice Withdraw from the caller's ledger balance.
    /// @param token The token (address(0) for ETH).
    /// @param amount How much.
    /// @param to Where to send it.
    function withdraw(address token, uint256 amount, address to) external;

    // ---------------------------------------------------------------- views

    /// @notice A task as stored.
    /// @param taskId The task.
    /// @return The task.
    function getTask(uint256 taskId) external view returns (Task memory);

    /// @notice A slot's state, worker and timestamp.
    /// @param taskId The task.
    /// @param slot The slot.
    /// @return The slot.
    function getSlot(uint256 taskId, uint32 slot) external view returns (SlotView memory);

    /// @notice A ledger balance.
    /// @param token The token (address(0) for ETH).
    /// @param account The account.
    /// @return The balance.
    function balanceOf(address token, address account) external view returns (uint256);

    /// @notice A worker's record in tasks paid in `token`.
    /// @param worker The worker.
    /// @param token The token (address(0) for ETH).
    /// @return The record.
    function reputationOf(address worker, address token) external view returns (Reputation memory);

    /// @notice How many tasks exist (ids are 1 to taskCount).
    /// @return The count.
    function taskCount() external view returns (uint256);

    /// @notice The fee for new tasks, in basis points.
    /// @return The fee.
    function feeBps() external view returns (uint16);

    /// @notice Where fees are credited.
    /// @return The treasury.
    function treasury() external view returns (address);

    /// @notice The arbitrator of new tasks without one of their own.
    /// @return The default arbitrator.
    function defaultArbitrator() external view returns (address);

    /// @notice The minimum fee per paid slot of new tasks in `token`.
    /// @param token The token (address(0) for ETH).
    /// @return The minimum fee.
    function minimumFee(address token) external view returns (uint128);

    /// @notice The fee per paid slot a task paying `reward` in `token` would get now.
    /// @param token The token (address(0) for ETH).
    /// @param reward The reward per slot.
    /// @return The fee.
    function feeFor(address token, uint256 reward) external view returns (uint256);

    /// @notice This escrow's version: deployment records carry it, clients refuse another.
    /// @return The version.
    function version() external pure returns (uint16);

    /// @notice Seconds a rejected worker has to dispute.
    /// @return The window.
    function disputeWindow() external view returns (uint32);

    /// @notice Seconds the arbitrator has to rule before an unanswered dispute pays the worker.
    /// @return The timeout.
    function arbitrationTimeout() external view returns (uint32);
}

/// @title ITaskEscrowExtension
/// @notice What `TaskEscrow` runs through `TaskEscrowExtension` (its fallback delegates to it,
///         at the same address and on the same storage): rejections, disputes, rulings,
///         equivocation proofs, the requester's changes to a task, and the operator's settings.
///         Part of `ITaskEscrow`.
interface ITaskEscrowExtension is ITaskEscrowTypes {
    // ---------------------------------------------------------------- requester

    /// @notice Add and fund claimable slots, at the task's reward and fee snapshot.
    /// @param taskId The task.
    /// @param count How many slots to add.
    function addSlots(uint256 taskId, uint32 count) external payable;

    /// @notice Move the deadline later.
    /// @param taskId The task.
    /// @param deadline The new deadline.
    function extendDeadline(uint256 taskId, uint64 deadline) external;

    /// @notice Cancel: no new claims or receipts; funds of slots nobody holds return at once,
    ///         the rest as those slots settle or their windows close.
    /// @param taskId The task.
    function cancel(uint256 taskId) external;

    /// @notice Refund receipt slots that were never used, once the equivocation window is
    ///         closed (receipt window + dispute window: until then they back receipts whose
    ///         slot went to someone else). Anyone may call; the funds go to the requester's
    ///         balance.
    /// @param taskId The task.
    function reclaimReceiptSlots(uint256 taskId) external;

    /// @notice Pay a worker extra, from the caller's funds (ETH value or an ERC-20 allowance).
    /// @param taskId The task the bonus is for.
    /// @param worker Who receives it.
    /// @param amount How much.
    function bonus(uint256 taskId, address worker, uint256 amount) external payable;

    // ---------------------------------------------------------------- worker

    /// @notice Prove that a receipt's slot went to another worker, and be paid as if approved:
    ///         `paidSlot`, an open slot of the task (an unused receipt slot, or a claimable one
    ///         nobody holds), is approved to the receipt's holder (basis `Equivocation`; the
    ///         treasury gets its fee). The slot went to another worker when another worker
    ///         holds it on chain (pass empty arrays), or when a batch approved it to another
    ///         worker without its receipt: pass that batch's `SlotsApproved` slots and workers
    ///         (the escrow keeps one hash per such batch). Open until the equivocation window
    ///         closes (receipt window + dispute window); each holder is paid once per slot.
    /// @param receipt The receipt.
    /// @param signature The requester's or verifier's signature of it.
    /// @param batchSlots The paying batch's slots, as its `SlotsApproved` lists them.
    /// @param batchWorkers The paying batch's workers, as its `SlotsApproved` lists them.
    /// @param paidSlot The open slot that pays the receipt's holder.
    function proveEquivocation(
        Receipt calldata receipt,
        bytes calldata signature,
        uint32[] calldata batchSlots,
        address[] calldata batchWorkers,
        uint32 paidSlot
    ) external;

    /// @notice Dispute a rejection within the dispute window.
    /// @param taskId The task.
    /// @param slot The rejected slot.
    /// @param reasonCid CID of the worker's case.
    function dispute(uint256 taskId, uint32 slot, bytes calldata reasonCid) external;

    // ---------------------------------------------------------------- review

    /// @notice Reject slots submitted on chain (claimed and submitted, or filled by a presented
    ///         receipt), within their review period, giving reasons. Unpresented receipt slots
    ///         are rejected with `rejectReceipts`, with their proof.
    /// @param taskId The task.
    /// @param slots The slots.
    /// @param workers The worker of each slot.
    /// @param reasonCid CID of the review with the reasons.
    function reject(uint256 taskId, uint32[] calldata slots, address[] calldata workers, bytes calldata reasonCid)
        external;

    /// @notice Reject receipt slots, each with its proof (`ReceiptRejection`): an unused one
    ///         while the receipt window is open, a presented one within its review period.
    ///         The receipt's worker holds the rejected slot and may dispute it.
    /// @param taskId The task.
    /// @param rejections The slots' receipts and their workers' submission signatures.
    /// @param reasonCid CID of the review with the reasons.
    function rejectReceipts(uint256 taskId, ReceiptRejection[] calldata rejections, bytes calldata reasonCid)
        external;

    /// @notice Rule on a dispute within the arbitration timeout: pay the worker, or close the
    ///         slot and refund the requester. After the timeout only `finalize` settles it,
    ///         paying the worker.
    /// @param taskId The task.
    /// @param slot The disputed slot.
    /// @param pay True to pay the worker.
    /// @param reasonCid CID of the ruling's reasons.
    function rule(uint256 taskId, uint32 slot, bool pay, bytes calldata reasonCid) external;

    // ---------------------------------------------------------------- operator

    /// @notice Set the fee for tasks created from now on, in basis points (at most 10%).
    /// @param feeBps The new fee.
    function setFee(uint16 feeBps) external;

    /// @notice Set where fees are credited.
    /// @param treasury The new treasury.
    function setTreasury(address treasury) external;

    /// @notice Set the arbitrator of tasks created from now on without one of their own (never
    ///         zero: a task without an arbitrator would make every rejection meaningless).
    /// @param arbitrator The new default arbitrator.
    function setDefaultArbitrator(address arbitrator) external;

    /// @notice Set the minimum fee per paid slot of tasks created from now on in `token`
    ///         (MTurk's minimum commission): the fee is the larger of the rate's (rounded up)
    ///         and this. Zero: the rate alone.
    /// @param token The token (address(0) for ETH).
    /// @param amount The minimum fee, in the token's smallest unit.
    function setMinimumFee(address token, uint128 amount) external;

    /// @notice Stop new tasks, new slots and claims. Settlement, refunds and withdrawals go on.
    function pause() external;

    /// @notice Allow new tasks, slots and claims again.
    function unpause() external;

    // ---------------------------------------------------------------- views

    /// @notice The EIP-712 digest a receipt's signer signs.
    /// @param receipt The receipt.
    /// @return The digest.
    function receiptDigest(Receipt calldata receipt) external view returns (bytes32);

    /// @notice The EIP-712 digest an approval's signer signs.
    /// @param approval The approval.
    /// @return The digest.
    function approvalDigest(Approval calldata approval) external view returns (bytes32);
}

/// @title ITaskEscrow
/// @notice One escrow for every micro-task: requesters fund slots up front, workers claim and
///         submit (on chain, or off chain against a signed receipt), and settlement credits an
///         internal ledger that anyone withdraws from (or, where the worker asked for it, pays
///         the worker's own address directly). Silence is not a rejection: submitted work that
///         is not rejected within the review period is paid by anyone's call.
///
///         Version 2 (`version()`): a receipt is as good as payment. A requester or verifier
///         who signed a receipt cannot take the slot away from its holder: rejecting a receipt
///         slot needs the receipt and the worker's own EIP-712 `Submission` signature (so only
///         someone who really handed in work can be rejected, and they can dispute), and a
///         second receipt signed for a slot that is already taken is provable equivocation:
///         its holder is paid through an open slot of the task (`proveEquivocation`).
///         A task's arbitrator is never its requester or verifier; approvals cost at least the
///         token's minimum fee, so a forged record costs real money; fees and the default
///         arbitrator cannot change under a pending task (`TaskParams.maxFee`,
///         `TaskParams.expectedArbitrator`).
///
///         The escrow is two contracts at one address, because one would pass the EVM's 24 KiB
///         code limit: `ITaskEscrowCore` (what every paid assignment runs through) and
///         `ITaskEscrowExtension` (rejections, disputes, proofs, changes to a task, settings).
/// @dev Every state change emits an event that, with the task manifest, lets an indexer rebuild
///      all state without view calls (docs/architecture.md, P8).
interface ITaskEscrow is ITaskEscrowCore, ITaskEscrowExtension {}
