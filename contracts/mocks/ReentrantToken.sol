// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken
/// @notice An ERC-20 that, once armed, calls back into a target with chosen calldata in the
///         middle of every transfer, bubbling up any revert. Test use only.
contract ReentrantToken is ERC20 {
    address private _target;
    bytes private _payload;

    constructor() ERC20("Reentrant", "REE") {}

    /// @notice Mint tokens to anyone.
    /// @param to Recipient.
    /// @param amount Amount.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Call `target` with `payload` during each later transfer.
    /// @param target The contract to re-enter.
    /// @param payload The call to make.
    function arm(address target, bytes calldata payload) external {
        _target = target;
        _payload = payload;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address target = _target;
        if (target != address(0) && from != address(0)) {
            _target = address(0); // once
            (bool ok, bytes memory result) = target.call(_payload);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(result, 32), mload(result))
                }
            }
        }
    }
}
