"""Turn revert data into words: ``TaskEscrowInvalidTreasury(treasury=0x0000…)``.

Every contract function reverts with a custom error; users should read its name and
arguments, never a hex blob. Decoding uses the ABIs of the contracts involved plus the two
built-in errors, ``Error(string)`` and ``Panic(uint256)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address

from microtask.chain.calldata import canonical_type
from microtask.errors import UserError

_BUILTIN_ERRORS: dict[bytes, tuple[str, list[dict[str, Any]]]] = {
    function_signature_to_4byte_selector("Error(string)"): (
        "Error",
        [{"name": "message", "type": "string"}],
    ),
    function_signature_to_4byte_selector("Panic(uint256)"): (
        "Panic",
        [{"name": "code", "type": "uint256"}],
    ),
}

# Solidity's panic codes, so an arithmetic overflow reads as one.
PANIC_REASONS = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "corrupt storage byte array",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialised function",
}


class TransactionReverted(UserError):
    """The chain refused a call or transaction; ``error`` names the custom error."""

    def __init__(self, message: str, *, error: str | None = None, args: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.error = error
        self.error_args = dict(args)


def revert_data(error: BaseException) -> bytes | str | None:
    """The raw revert data carried by a failed call, from any provider we use.

    web3 puts it in ``ContractLogicError.data`` (a hex string, sometimes in a dict). Its
    eth-tester provider instead raises a ``TransactionFailed`` whose message holds only a
    repr, with the original failure, carrying the bytes, as the exception's context.
    """
    data = getattr(error, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, bytes | str):
        return data
    context = error.__context__
    while context is not None:
        first = context.args[0] if context.args else None
        if isinstance(first, Exception) and first.args:
            first = first.args[0]
        if isinstance(first, bytes):
            return first
        context = context.__context__
    return None


def error_selectors(
    abis: Iterable[Sequence[Mapping[str, Any]]],
) -> dict[bytes, tuple[str, list[dict[str, Any]]]]:
    """Selector → (name, inputs) for every error in ``abis`` and the built-in ones."""
    table = dict(_BUILTIN_ERRORS)
    for abi in abis:
        for entry in abi:
            if entry.get("type") != "error":
                continue
            inputs = list(entry.get("inputs", []))
            signature = f"{entry['name']}({','.join(canonical_type(p) for p in inputs)})"
            table[function_signature_to_4byte_selector(signature)] = (str(entry["name"]), inputs)
    return table


def _readable(value: Any, kind: str) -> Any:
    if kind == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def decode_revert(
    data: bytes | str | None, abis: Iterable[Sequence[Mapping[str, Any]]]
) -> TransactionReverted:
    """A `TransactionReverted` describing ``data``, whatever it holds."""
    if isinstance(data, str):
        data = bytes.fromhex(data.removeprefix("0x")) if data else b""
    if not data:
        return TransactionReverted("reverted without a reason", args={})
    selector, payload = data[:4], data[4:]
    known = error_selectors(abis).get(selector)
    if known is None:
        return TransactionReverted(f"reverted with unknown error 0x{data.hex()}", args={})
    name, inputs = known
    types = [canonical_type(p) for p in inputs]
    try:
        values = decode(types, payload)
    except DecodingError:
        return TransactionReverted(f"reverted with malformed {name} 0x{data.hex()}", args={})
    args = {
        (p.get("name") or f"arg{i}"): _readable(v, t)
        for i, (p, v, t) in enumerate(zip(inputs, values, types, strict=True))
    }
    if name == "Error":
        return TransactionReverted(f"reverted: {args['message']}", error=name, args=args)
    if name == "Panic":
        reason = PANIC_REASONS.get(args["code"], f"code {args['code']:#x}")
        return TransactionReverted(f"panicked: {reason}", error=name, args=args)
    rendered = ", ".join(f"{key}={value}" for key, value in args.items())
    return TransactionReverted(f"reverted with {name}({rendered})", error=name, args=args)
