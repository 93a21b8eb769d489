"""Revert data becomes words."""

from __future__ import annotations

from eth_abi.abi import encode
from eth_utils.abi import function_signature_to_4byte_selector

from microtask.chain.reverts import decode_revert

ABI = [
    {
        "type": "error",
        "name": "SlotTaken",
        "inputs": [
            {"name": "taskId", "type": "uint256"},
            {"name": "holder", "type": "address"},
            {"name": "digest", "type": "bytes32"},
        ],
    },
    {"type": "error", "name": "Paused", "inputs": []},
]


def _data(signature: str, types: list[str], values: list[object]) -> bytes:
    return function_signature_to_4byte_selector(signature) + encode(types, values)


def test_custom_error_with_arguments() -> None:
    holder = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
    data = _data(
        "SlotTaken(uint256,address,bytes32)",
        ["uint256", "address", "bytes32"],
        [7, holder, b"\x01" * 32],
    )
    error = decode_revert("0x" + data.hex(), [ABI])
    assert error.error == "SlotTaken"
    assert error.error_args["taskId"] == 7
    assert error.error_args["holder"] == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    assert str(error) == (
        "reverted with SlotTaken(taskId=7, holder=0x70997970C51812dc3A010C7d01b50e0d17dc79C8, "
        "digest=0x" + "01" * 32 + ")"
    )


def test_custom_error_without_arguments() -> None:
    error = decode_revert(function_signature_to_4byte_selector("Paused()"), [ABI])
    assert str(error) == "reverted with Paused()"


def test_builtin_error_string_and_panic() -> None:
    assert str(decode_revert(_data("Error(string)", ["string"], ["nope"]), [])) == "reverted: nope"
    panic = decode_revert(_data("Panic(uint256)", ["uint256"], [0x11]), [])
    assert str(panic) == "panicked: arithmetic overflow or underflow"


def test_unknown_empty_and_malformed_data() -> None:
    assert "unknown error 0xdeadbeef" in str(decode_revert("0xdeadbeef", [ABI]))
    assert str(decode_revert(None, [ABI])) == "reverted without a reason"
    truncated = function_signature_to_4byte_selector("SlotTaken(uint256,address,bytes32)") + b"\x00"
    assert "malformed SlotTaken" in str(decode_revert(truncated, [ABI]))
