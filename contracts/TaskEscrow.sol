// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title TaskEscrow (placeholder)
/// @notice Stands in for the escrow until it lands, so that compile, deploy, record and
///         interact are exercised end to end. It only records the treasury address.
contract TaskEscrow is Ownable2Step {
    /// @notice The treasury cannot be the zero address.
    error TaskEscrowInvalidTreasury(address treasury);

    /// @notice The treasury changed.
    /// @param previous The treasury before the change.
    /// @param current The treasury after the change.
    event TreasuryChanged(address indexed previous, address indexed current);

    address private _treasury;

    /// @param initialOwner The operator who may change settings.
    constructor(address initialOwner) Ownable(initialOwner) {
        _treasury = initialOwner;
    }

    /// @notice Where protocol fees will be credited.
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @notice Set where protocol fees will be credited.
    /// @param newTreasury The new treasury; must not be the zero address.
    function setTreasury(address newTreasury) external onlyOwner {
        if (newTreasury == address(0)) revert TaskEscrowInvalidTreasury(newTreasury);
        emit TreasuryChanged(_treasury, newTreasury);
        _treasury = newTreasury;
    }
}
