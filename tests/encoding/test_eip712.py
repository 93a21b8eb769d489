"""microtask's own EIP-712 hashing, signing and recovery give eth-account's bytes exactly.

`typed_message` hashes flat structs itself and `sign`/`recover` call libsecp256k1
directly (eth-account's general path cost about a millisecond a message); random structs
of every atomic type and random keys hold them to eth-account's results, and whatever
eth-account refuses is refused here too.
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st

from microtask.encoding import checksum, digest, domain, eip712, recover, sign, typed_message

ESCROW = "0x5FbDB2315678afecb367f032d93F642f64180aa3"

address = st.binary(min_size=20, max_size=20).map(checksum)
ATOMS: dict[str, st.SearchStrategy[Any]] = {
    "uint256": st.integers(0, 2**256 - 1),
    "uint64": st.integers(0, 2**64 - 1),
    "uint32": st.integers(0, 2**32 - 1),
    "int128": st.integers(-(2**127), 2**127 - 1),
    "address": address,
    "bool": st.booleans(),
    "bytes32": st.binary(min_size=32, max_size=32),
    "bytes4": st.binary(min_size=4, max_size=4),
    "bytes": st.binary(max_size=80),
    "string": st.text(max_size=40),
}
KINDS = [*ATOMS, "uint32[]", "address[]", "bytes32[]"]


def value_of(kind: str) -> st.SearchStrategy[Any]:
    if kind.endswith("[]"):
        return st.lists(ATOMS[kind[:-2]], max_size=5)
    return ATOMS[kind]


@st.composite
def structs(draw: st.DrawFn) -> tuple[dict[str, list[dict[str, str]]], dict[str, Any]]:
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=6))
    fields = [{"name": f"f{n}", "type": kind} for n, kind in enumerate(kinds)]
    message = {field["name"]: draw(value_of(field["type"])) for field in fields}
    return {"Thing": fields}, message


@settings(max_examples=200, deadline=None)
@given(structs(), st.integers(1, 2**64))
def test_flat_structs_hash_as_eth_account_hashes_them(
    struct: tuple[dict[str, list[dict[str, str]]], dict[str, Any]], chain_id: int
) -> None:
    types, message = struct
    ours = typed_message(domain(chain_id, ESCROW), types, message)
    theirs = encode_typed_data(dict(domain(chain_id, ESCROW)), types, message)
    assert ours == theirs


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=32, max_size=32), structs())
def test_signatures_and_recovery_match_eth_account(
    seed: bytes, struct: tuple[dict[str, list[dict[str, str]]], dict[str, Any]]
) -> None:
    try:
        account = Account.from_key(seed)
    except ValueError:
        return  # not a valid private key
    types, message = struct
    signable = typed_message(domain(31337, ESCROW), types, message)
    signature = sign(account, signable)
    assert signature == bytes(account.sign_message(signable).signature)
    assert recover(signable, signature) == account.address
    assert Account.recover_message(signable, signature=signature) == account.address
    assert len(digest(signable)) == 32


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("uint32", 2**32),
        ("uint256", -1),
        ("int128", 2**127),
        ("address", "0x1234"),
        ("bytes32", b"short"),
        ("bool", 1),
        ("string", b"bytes"),
        ("uint64", "12"),
    ],
)
def test_values_a_type_cannot_hold_are_refused(kind: str, value: object) -> None:
    with pytest.raises(ValueError, match=r"."):
        typed_message(domain(1, ESCROW), {"Thing": [{"name": "f", "type": kind}]}, {"f": value})


@pytest.mark.parametrize(
    "signature",
    [
        b"\x01" * 64,  # too short
        b"\x01" * 64 + b"\x1d",  # v = 29
        bytes(32) + b"\x01" * 32 + b"\x1b",  # r = 0
        b"\xff" * 64 + b"\x1b",  # r, s above the curve's order
    ],
)
def test_malformed_signatures_are_value_errors(signature: bytes) -> None:
    signable = typed_message(
        domain(1, ESCROW), {"Thing": [{"name": "f", "type": "uint8"}]}, {"f": 1}
    )
    with pytest.raises(ValueError, match="malformed signature"):
        recover(signable, signature)


def test_an_account_signs_the_same_every_time_and_its_key_is_kept_no_longer_than_it() -> None:
    """`sign` makes an account's libsecp256k1 key once and keeps it while the account
    lives: later signatures are still eth-account's, and a dropped account's key goes."""
    account = Account.create()
    messages = [
        typed_message(domain(31337, ESCROW), {"Thing": [{"name": "f", "type": "uint64"}]}, {"f": n})
        for n in range(3)
    ]
    for signable in messages * 2:
        assert sign(account, signable) == bytes(account.sign_message(signable).signature)
    held = weakref.ref(eip712._SIGNING_KEYS[account])
    del account
    gc.collect()
    assert held() is None
