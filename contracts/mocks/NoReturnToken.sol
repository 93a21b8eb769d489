// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title NoReturnToken
/// @notice Behaves like USDT on mainnet: transfer, transferFrom and approve return nothing, and
///         failures revert. SafeERC20 must handle it. Test use only.
contract NoReturnToken {
    /// @notice Balances.
    mapping(address account => uint256) public balanceOf;
    /// @notice Allowances.
    mapping(address owner => mapping(address spender => uint256)) public allowance;
    /// @notice Total supply.
    uint256 public totalSupply;

    /// @notice The balance is too small.
    error NoReturnTokenInsufficient(address account, uint256 balance, uint256 needed);

    /// @notice Mint tokens to anyone.
    /// @param to Recipient.
    /// @param amount Amount.
    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        totalSupply += amount;
    }

    /// @notice Transfer without a return value.
    /// @param to Recipient.
    /// @param amount Amount.
    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    /// @notice Transfer from an allowance without a return value.
    /// @param from Owner.
    /// @param to Recipient.
    /// @param amount Amount.
    function transferFrom(address from, address to, uint256 amount) external {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed < amount) revert NoReturnTokenInsufficient(msg.sender, allowed, amount);
        allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
    }

    /// @notice Approve without a return value.
    /// @param spender Spender.
    /// @param amount Amount.
    function approve(address spender, uint256 amount) external {
        allowance[msg.sender][spender] = amount;
    }

    function _move(address from, address to, uint256 amount) private {
        uint256 balance = balanceOf[from];
        if (balance < amount) revert NoReturnTokenInsufficient(from, balance, amount);
        balanceOf[from] = balance - amount;
        balanceOf[to] += amount;
    }
}
