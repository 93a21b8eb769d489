// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title ERC1271Wallet
/// @notice A minimal smart-contract wallet whose owner key signs for it (ERC-1271), so a
///         requester or verifier can be a contract. It can forward calls. Test use only.
contract ERC1271Wallet is IERC1271 {
    /// @notice Only the owner may use the wallet.
    error ERC1271WalletUnauthorized(address caller);

    address private immutable _owner;

    /// @param owner_ The key that signs and calls for this wallet.
    constructor(address owner_) {
        _owner = owner_;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes memory signature) external view returns (bytes4) {
        (address signer,,) = ECDSA.tryRecover(hash, signature);
        return signer == _owner ? IERC1271.isValidSignature.selector : bytes4(0xffffffff);
    }

    /// @notice Call anything as this wallet.
    /// @param target The contract.
    /// @param data The call.
    /// @return result What the call returned.
    function execute(address target, bytes calldata data) external payable returns (bytes memory result) {
        if (msg.sender != _owner) revert ERC1271WalletUnauthorized(msg.sender);
        bool ok;
        (ok, result) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
    }

    receive() external payable {}
}
