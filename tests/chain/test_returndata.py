"""Return data read word by word is what eth_abi decodes, refused where eth_abi refuses it."""

from __future__ import annotations

import random

import pytest
from eth_abi.abi import decode, encode
from eth_abi.exceptions import DecodingError
from eth_account import Account
from eth_utils.address import to_checksum_address

from microtask.chain.returndata import StaticDecoder

SLOT_VIEW = [
    {
        "name": "",
        "type": "tuple",
        "components": [
            {"name": "state", "type": "uint8"},
            {"name": "worker", "type": "address"},
            {"name": "timestamp", "type": "uint64"},
        ],
    }
]
FLAT = [
    {"name": "a", "type": "uint256"},
    {"name": "b", "type": "bool"},
    {"name": "c", "type": "address"},
    {"name": "d", "type": "uint32"},
]


def _random_value(rng: random.Random, kind: str) -> object:
    if kind == "address":
        return Account.create(str(rng.random())).address if rng.random() < 0.9 else "0x" + "00" * 20
    if kind == "bool":
        return rng.random() < 0.5
    bits = int(kind[len("uint") :])
    return rng.choice([0, 1, (1 << bits) - 1, rng.randrange(1 << bits)])


@pytest.mark.parametrize(
    ("abi", "types"),
    [(SLOT_VIEW, ["(uint8,address,uint64)"]), (FLAT, ["uint256", "bool", "address", "uint32"])],
)
def test_decodes_what_eth_abi_decodes(abi: list[dict[str, object]], types: list[str]) -> None:
    decoder = StaticDecoder(abi)
    rng = random.Random(3)
    kinds = types[0].strip("()").split(",") if len(types) == 1 else types
    for _ in range(300):
        values = tuple(_random_value(rng, kind) for kind in kinds)
        data = encode(types, [values] if len(types) == 1 else list(values))
        expected = decode(types, data)
        expected = expected[0] if len(types) == 1 else expected
        expected = tuple(
            to_checksum_address(v) if kind == "address" else v
            for kind, v in zip(kinds, expected, strict=True)
        )
        assert decoder.decode(data) == expected
        assert decoder.decode(data + b"\x00" * 32) == expected  # trailing data ignored, too


def test_refuses_what_eth_abi_refuses() -> None:
    decoder = StaticDecoder(SLOT_VIEW)
    good = encode(["(uint8,address,uint64)"], [(2, "0x" + "11" * 20, 5)])
    bad = [
        good[:-1],  # too short
        b"",
        (256).to_bytes(32, "big") + good[32:],  # a uint8 past 255
        good[:32] + b"\x01" + good[33:],  # an address word with a non-zero padding byte
        good[:64] + (1 << 64).to_bytes(32, "big"),  # a uint64 past its size
    ]
    flat = StaticDecoder(FLAT)
    bad_bool = encode(["uint256", "uint256", "address", "uint32"], [1, 2, "0x" + "22" * 20, 3])
    for decoder_, types, data in [
        *[(decoder, ["(uint8,address,uint64)"], data) for data in bad],
        (flat, ["uint256", "bool", "address", "uint32"], bad_bool),
    ]:
        with pytest.raises(DecodingError):
            decode(types, data)
        with pytest.raises(DecodingError):
            decoder_.decode(data)


def test_only_flat_structs_of_static_words() -> None:
    with pytest.raises(ValueError, match="not a flat struct"):
        StaticDecoder([{"name": "s", "type": "string"}])
    with pytest.raises(ValueError, match="not a flat struct"):
        StaticDecoder([{"name": "x", "type": "bytes32"}, {"name": "y", "type": "uint8"}])
