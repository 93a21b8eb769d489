// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITaskEscrow} from "../interfaces/ITaskEscrow.sol";

/// @title ContractWorker
/// @notice A worker that is a contract refusing ETH: it claims, submits and withdraws through
///         the escrow like any account, but a withdrawal of ETH to itself must fail while its
///         pay stays withdrawable elsewhere. Test use only.
contract ContractWorker {
    /// @notice This contract accepts no ETH.
    error ContractWorkerRefusesEth();

    ITaskEscrow private immutable _escrow;

    /// @param escrow The escrow to work through.
    constructor(ITaskEscrow escrow) {
        _escrow = escrow;
    }

    /// @notice Claim a slot.
    /// @param taskId The task.
    /// @param slot The slot.
    function claim(uint256 taskId, uint32 slot) external {
        _escrow.claim(taskId, slot);
    }

    /// @notice Submit a result.
    /// @param taskId The task.
    /// @param slot The slot.
    /// @param resultCid The result CID.
    function submit(uint256 taskId, uint32 slot, bytes calldata resultCid) external {
        _escrow.submit(taskId, slot, resultCid);
    }

    /// @notice Withdraw from this contract's ledger balance.
    /// @param token The token.
    /// @param amount The amount.
    /// @param to Where to send it.
    function withdraw(address token, uint256 amount, address to) external {
        _escrow.withdraw(token, amount, to);
    }

    receive() external payable {
        revert ContractWorkerRefusesEth();
    }
}
