"""Calldata encoded from the ABI is byte for byte what web3 encodes, and refuses what web3
refuses: random settlement batches of every function the verifier sends."""

from __future__ import annotations

import random
from typing import Any

import pytest
from eth_abi.exceptions import EncodingError
from eth_account import Account
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3Exception

from microtask.chain.artifacts import CompiledProject
from microtask.chain.calldata import CalldataError, FunctionEncoder, function_encoders

ESCROW = Web3.to_checksum_address("0x5fbdb2315678afecb367f032d93f642f64180aa3")
SETTLEMENT_FUNCTIONS = ("approve", "reject", "rejectReceipts", "approveWithSignature")


@pytest.fixture(scope="module")
def escrow(compiled: CompiledProject) -> Contract:
    return Web3().eth.contract(address=ESCROW, abi=compiled.get("TaskEscrow").abi)


@pytest.fixture(scope="module")
def encoders(escrow: Contract) -> dict[str, FunctionEncoder]:
    return function_encoders(escrow.abi)


def _workers(rng: random.Random, count: int) -> list[str]:
    # a few workers settle many slots each, as in a real task
    pool = [Account.create(f"worker {n} {rng.random()}").address for n in range(12)]
    return [rng.choice(pool) for _ in range(count)]


def _receipt(rng: random.Random, worker: str) -> dict[str, Any]:
    return {
        "taskId": rng.randrange(2**64),
        "slot": rng.randrange(2**32),
        "worker": worker,
        "resultDigest": rng.randbytes(32),
        "submittedAt": rng.randrange(2**40),
        "expiry": rng.randrange(2**40),
    }


def _calls(rng: random.Random) -> list[tuple[str, tuple[Any, ...]]]:
    """One random call of each settlement function, batches of 0 to 200 slots."""
    size = rng.choice([0, 1, 2, 7, rng.randrange(1, 201), 200])
    task_id = rng.randrange(2**256)
    slots = [rng.randrange(2**32) for _ in range(size)]
    workers = _workers(rng, size)
    cid = rng.randbytes(rng.choice([0, 34, 36, 59, 100]))
    rejections = [
        {
            "receipt": _receipt(rng, worker),
            "signature": rng.randbytes(65),
            "envelopeHash": rng.randbytes(32),
            "workerSignature": rng.randbytes(65),
        }
        for worker in workers
    ]
    approval = {
        "taskId": task_id,
        "slots": slots,
        "workers": workers,
        "direct": rng.random() < 0.5,
        "expiry": rng.randrange(2**40),
    }
    return [
        ("approve", (task_id, slots, workers, rng.random() < 0.5)),
        ("reject", (task_id, slots, workers, cid)),
        ("rejectReceipts", (task_id, rejections, cid)),
        ("approveWithSignature", (approval, rng.randbytes(65))),
    ]


@pytest.mark.parametrize("seed", range(25))
def test_settlement_calldata_is_web3s_byte_for_byte(
    seed: int, escrow: Contract, encoders: dict[str, FunctionEncoder]
) -> None:
    for name, args in _calls(random.Random(seed)):
        expected = Web3.to_bytes(hexstr=escrow.encode_abi(name, args=list(args)))
        assert encoders[name].encode(*args) == expected, name


def test_a_struct_may_be_given_in_field_order(
    escrow: Contract, encoders: dict[str, FunctionEncoder]
) -> None:
    rng = random.Random(7)
    [(_, (task_id, rejections, cid))] = [c for c in _calls(rng) if c[0] == "rejectReceipts"]
    as_tuples = [
        (tuple(r["receipt"].values()), r["signature"], r["envelopeHash"], r["workerSignature"])
        for r in rejections
    ]
    expected = escrow.encode_abi("rejectReceipts", args=[task_id, rejections, cid])
    assert encoders["rejectReceipts"].encode(task_id, as_tuples, cid) == Web3.to_bytes(
        hexstr=expected
    )


def test_what_web3_refuses_is_refused(
    escrow: Contract, encoders: dict[str, FunctionEncoder]
) -> None:
    worker = Account.create("refused").address
    wrong_checksum = worker[:2] + worker[2:].swapcase()
    bad_calls: list[tuple[str, tuple[Any, ...]]] = [
        ("approve", (1, [1], [worker.lower()], False)),  # not checksummed
        ("approve", (1, [1], [wrong_checksum], False)),  # a wrong checksum
        ("approve", (1, [1], ["0x1234"], False)),  # not an address
        ("approve", (1, [1], [bytes.fromhex(worker[2:-2])], False)),  # 19 bytes
        ("approve", (1, [2**32], [worker], False)),  # a slot past uint32
        ("approve", (-1, [1], [worker], False)),  # a negative task
        ("reject", (1, [1], [worker], "not bytes")),
    ]
    rejection = {
        "receipt": _receipt(random.Random(1), worker),
        "signature": b"\x01" * 65,
        "envelopeHash": b"\x02" * 31,  # bytes32 given 31 bytes
        "workerSignature": b"\x03" * 65,
    }
    bad_calls.append(("rejectReceipts", (1, [rejection], b"")))
    missing = {k: v for k, v in rejection.items() if k != "workerSignature"}
    bad_calls.append(("rejectReceipts", (1, [missing], b"")))
    bad_calls.append(("approve", (1, [1], [worker])))  # an argument short
    for name, args in bad_calls:
        with pytest.raises((Web3Exception, EncodingError, TypeError, ValueError, KeyError)):
            escrow.encode_abi(name, args=list(args))
        with pytest.raises((CalldataError, EncodingError)):
            encoders[name].encode(*args)


def test_an_address_may_be_given_as_its_20_bytes(
    escrow: Contract, encoders: dict[str, FunctionEncoder]
) -> None:
    worker = Account.create("raw").address
    args = (5, [3], [bytes.fromhex(worker[2:])], True)
    expected = Web3.to_bytes(hexstr=escrow.encode_abi("approve", args=list(args)))
    assert encoders["approve"].encode(*args) == expected
    assert encoders["approve"].encode(5, [3], [worker], True) == expected


def test_overloaded_names_are_left_to_web3() -> None:
    def function(name: str, *types: str) -> dict[str, Any]:
        return {
            "type": "function",
            "name": name,
            "inputs": [{"name": f"a{n}", "type": t} for n, t in enumerate(types)],
            "outputs": [],
            "stateMutability": "nonpayable",
        }

    abi = [function("f", "uint256"), function("f", "address"), function("g", "bool")]
    assert sorted(function_encoders(abi)) == ["g"]
    assert function_encoders(abi)["g"].encode(True) == Web3.to_bytes(
        hexstr=Web3().eth.contract(abi=abi).encode_abi("g", args=[True])
    )
