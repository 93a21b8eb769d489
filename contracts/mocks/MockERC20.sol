// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title MockERC20
/// @notice A test stablecoin with EIP-2612 permits and free minting. Never deploy to a real network.
contract MockERC20 is ERC20, ERC20Permit {
    uint8 private immutable _decimals;

    /// @param name_ Token name (also the permit domain name).
    /// @param symbol_ Token symbol.
    /// @param decimals_ Decimals, e.g. 6 for a USDC-like coin.
    constructor(string memory name_, string memory symbol_, uint8 decimals_)
        ERC20(name_, symbol_)
        ERC20Permit(name_)
    {
        _decimals = decimals_;
    }

    /// @notice Mint tokens to anyone.
    /// @param to Recipient.
    /// @param amount Amount.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _decimals;
    }
}
