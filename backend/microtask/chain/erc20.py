"""The slice of ERC-20 (with EIP-2612 permits) that funding a task needs.

Any standard token works with this ABI, including tokens without return values (the escrow
uses SafeERC20); the EIP-6093 errors let a token's own revert read as words.
"""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, Web3Exception

from microtask.chain.transactions import TransactionSender
from microtask.encoding.eip712 import EIP712Domain, typed_message


def _params(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "type": kind} for name, kind in pairs]


def _function(
    name: str,
    inputs: list[dict[str, str]],
    outputs: list[dict[str, str]],
    mutability: str = "view",
) -> dict[str, Any]:
    return {
        "type": "function",
        "name": name,
        "inputs": inputs,
        "outputs": outputs,
        "stateMutability": mutability,
    }


def _error(name: str, *pairs: tuple[str, str]) -> dict[str, Any]:
    return {"type": "error", "name": name, "inputs": _params(*pairs)}


_UINT = _params(("", "uint256"))

ERC20_ABI: list[dict[str, Any]] = [
    _function("name", [], _params(("", "string"))),
    _function("symbol", [], _params(("", "string"))),
    _function("decimals", [], _params(("", "uint8"))),
    _function("totalSupply", [], _UINT),
    _function("balanceOf", _params(("account", "address")), _UINT),
    _function("allowance", _params(("owner", "address"), ("spender", "address")), _UINT),
    _function("approve", _params(("spender", "address"), ("value", "uint256")), [], "nonpayable"),
    _function("transfer", _params(("to", "address"), ("value", "uint256")), [], "nonpayable"),
    _function("nonces", _params(("owner", "address")), _UINT),
    _function(
        "permit",
        _params(
            ("owner", "address"),
            ("spender", "address"),
            ("value", "uint256"),
            ("deadline", "uint256"),
            ("v", "uint8"),
            ("r", "bytes32"),
            ("s", "bytes32"),
        ),
        [],
        "nonpayable",
    ),
    _function(
        "eip712Domain",
        [],
        _params(
            ("fields", "bytes1"),
            ("name", "string"),
            ("version", "string"),
            ("chainId", "uint256"),
            ("verifyingContract", "address"),
            ("salt", "bytes32"),
            ("extensions", "uint256[]"),
        ),
    ),
    _error(
        "ERC20InsufficientBalance",
        ("sender", "address"),
        ("balance", "uint256"),
        ("needed", "uint256"),
    ),
    _error("ERC20InvalidSender", ("sender", "address")),
    _error("ERC20InvalidReceiver", ("receiver", "address")),
    _error(
        "ERC20InsufficientAllowance",
        ("spender", "address"),
        ("allowance", "uint256"),
        ("needed", "uint256"),
    ),
    _error("ERC20InvalidApprover", ("approver", "address")),
    _error("ERC20InvalidSpender", ("spender", "address")),
    _error("ERC2612ExpiredSignature", ("deadline", "uint256")),
    _error("ERC2612InvalidSigner", ("signer", "address"), ("owner", "address")),
]
# approve and transfer are declared without outputs so that tokens returning nothing
# (USDT-style) decode as well as those returning a bool.


def erc20(w3: Web3, token: str) -> Contract:
    return w3.eth.contract(address=Web3.to_checksum_address(token), abi=ERC20_ABI)


def ensure_allowance(sender: TransactionSender, token: str, spender: str, amount: int) -> bool:
    """Approve ``spender`` for ``amount`` unless it may already spend that much.

    Returns whether an approve transaction was sent.
    """
    contract = erc20(sender.w3, token)
    spender = Web3.to_checksum_address(spender)
    if contract.functions.allowance(sender.account.address, spender).call() >= amount:
        return False
    sender.transact(contract.functions.approve(spender, amount))
    return True


def permit_domain(w3: Web3, contract: Contract) -> EIP712Domain:
    """The token's EIP-712 domain: from EIP-5267 when it says, else OpenZeppelin's default."""
    try:
        _, name, version, chain_id, verifying, _, _ = contract.functions.eip712Domain().call()
    except (ContractLogicError, ValueError, Web3Exception):
        name = contract.functions.name().call()
        version, chain_id, verifying = "1", w3.eth.chain_id, contract.address
    return {"name": name, "version": version, "chainId": chain_id, "verifyingContract": verifying}


PERMIT_TYPES: dict[str, list[dict[str, str]]] = {
    "Permit": _params(
        ("owner", "address"),
        ("spender", "address"),
        ("value", "uint256"),
        ("nonce", "uint256"),
        ("deadline", "uint256"),
    )
}


def permit_request(
    w3: Web3, token: str, owner: str, spender: str, value: int, deadline: int
) -> tuple[EIP712Domain, dict[str, Any]] | None:
    """The EIP-2612 permit ``owner`` signs to let ``spender`` take ``value``: its domain and
    message (the owner's current nonce); None when the token has no ``nonces`` (no permit).
    A browser wallet signs it as it is (the web app), a local account here (`sign_permit`)."""
    contract = erc20(w3, token)
    owner = Web3.to_checksum_address(owner)
    try:
        nonce = int(contract.functions.nonces(owner).call())
    except (ContractLogicError, ValueError, Web3Exception):
        return None
    message = {
        "owner": owner,
        "spender": Web3.to_checksum_address(spender),
        "value": value,
        "nonce": nonce,
        "deadline": deadline,
    }
    return permit_domain(w3, contract), message


def sign_permit(
    w3: Web3, owner: LocalAccount, token: str, spender: str, value: int, deadline: int
) -> tuple[int, bytes, bytes]:
    """An EIP-2612 permit signature (v, r, s) letting ``spender`` take ``value``."""
    request = permit_request(w3, token, owner.address, spender, value, deadline)
    if request is None:
        raise ValueError(f"the token {token} has no EIP-2612 permit")
    domain, message = request
    signed = owner.sign_message(typed_message(domain, PERMIT_TYPES, message))
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
