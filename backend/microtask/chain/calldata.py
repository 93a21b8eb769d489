"""A contract function's calldata, encoded straight from its ABI.

web3's ``ContractFunction.build_transaction`` spends most of its time before the ABI
encoding proper: it walks every argument through its normalizers (``map_abi_data``:
``recursive_map``, an ``ABITypedData`` per value, a checksum of every address), which for a
settlement batch of 200 slots is milliseconds per transaction, paid by the verifier's loop.
`FunctionEncoder` prepares what web3 works out per call once per function (the selector,
the input types, how each argument is checked) and hands the values to ``eth_abi.encode``,
for the same bytes (the tests compare them with web3's on random batches).

The checks are web3's: an address must be given checksummed or as its 20 bytes, as web3
refuses anything else (each distinct address is checked once, then served from a cache: a
verifier settles the same few hundred workers again and again); a ``bytesN`` value must
be exactly N bytes; a struct may be given as a dict by field name or as a sequence in
field order; ``eth_abi`` checks every other value against its type.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Final, cast

from eth_abi.abi import encode as abi_encode
from eth_typing import ABIFunction
from eth_utils.abi import function_abi_to_4byte_selector
from eth_utils.address import is_hex_address, to_canonical_address, to_checksum_address

_ARRAY: Final = re.compile(r"^(.*)\[(\d*)\]$")
_FIXED_BYTES: Final = re.compile(r"^bytes(\d+)$")
ADDRESS_CACHE_SIZE: Final = 65_536

Normalize = Callable[[Any], Any]


class CalldataError(ValueError):
    """An argument that does not fit its ABI type (nothing was encoded)."""


@lru_cache(maxsize=ADDRESS_CACHE_SIZE)
def _address_bytes(value: str) -> bytes:
    """A checksummed address's 20 bytes; anything else is refused, as web3 refuses it."""
    if not is_hex_address(value):
        raise CalldataError(f"{value!r} is not an address")
    if to_checksum_address(value) != value:
        raise CalldataError(f"{value} is not a checksummed address")
    return to_canonical_address(value)


def _address(value: Any) -> bytes:
    if isinstance(value, str):
        return _address_bytes(value)
    if isinstance(value, bytes) and len(value) == 20:  # web3 takes the raw 20 bytes too
        return value
    raise CalldataError(f"{value!r} is not a checksummed address or its 20 bytes")


def _fixed_bytes(size: int) -> Normalize:
    def check(value: Any) -> Any:
        if isinstance(value, bytes | bytearray) and len(value) != size:
            raise CalldataError(f"bytes{size} takes exactly {size} bytes, not {len(value)}")
        return value

    return check


def canonical_type(parameter: Mapping[str, Any]) -> str:
    """An ABI parameter's type as the ABI encoder (and a signature) spells it: a struct as
    ``(t1,t2,...)``, an array of structs as ``(t1,t2,...)[]``."""
    kind = str(parameter["type"])
    if kind.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in parameter.get("components", []))
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _normalizer(parameter: Mapping[str, Any]) -> Normalize | None:
    """What a value of ``parameter`` needs before ``eth_abi`` takes it (None: nothing)."""
    kind = str(parameter["type"])
    array = _ARRAY.match(kind)
    if array is not None:
        inner = _normalizer({**parameter, "type": array.group(1)})
        if inner is None:
            return None
        return lambda values: [inner(value) for value in values]
    if kind == "tuple":
        fields = [(str(c["name"]), _normalizer(c)) for c in parameter["components"]]
        names = [name for name, _ in fields]

        def struct(value: Any) -> tuple[Any, ...]:
            if isinstance(value, Mapping):
                if sorted(value) != sorted(names):
                    raise CalldataError(f"a struct of fields {names}, not {sorted(value)}")
                value = [value[name] for name in names]
            if len(value) != len(fields):
                raise CalldataError(f"a struct of {len(fields)} fields, not {len(value)}")
            return tuple(
                item if check is None else check(item)
                for (_, check), item in zip(fields, value, strict=True)
            )

        return struct
    if kind == "address":
        return _address
    fixed = _FIXED_BYTES.match(kind)
    if fixed is not None:
        return _fixed_bytes(int(fixed.group(1)))
    return None


class FunctionEncoder:
    """Encodes calls of one contract function: selector + ABI-encoded arguments."""

    def __init__(self, abi: Mapping[str, Any]) -> None:
        inputs: Sequence[Mapping[str, Any]] = abi.get("inputs", [])
        self.name = str(abi["name"])
        self.selector = function_abi_to_4byte_selector(cast(ABIFunction, abi))
        self.types = [canonical_type(parameter) for parameter in inputs]
        self._normalizers = [_normalizer(parameter) for parameter in inputs]

    def encode(self, *args: Any) -> bytes:
        """The calldata of ``name(*args)``; raises `CalldataError` (or eth_abi's
        ``EncodingError``, a ``ValueError`` too) for arguments that do not fit."""
        if len(args) != len(self.types):
            raise CalldataError(f"{self.name} takes {len(self.types)} arguments, not {len(args)}")
        values = [
            arg if check is None else check(arg)
            for check, arg in zip(self._normalizers, args, strict=True)
        ]
        return self.selector + abi_encode(self.types, values)


def function_encoders(abi: Sequence[Mapping[str, Any]]) -> dict[str, FunctionEncoder]:
    """An encoder for each function of ``abi`` the contract has by one name only (an
    overloaded name needs its arguments to pick one: web3's business)."""
    functions = [entry for entry in abi if entry.get("type") == "function"]
    names = [str(entry["name"]) for entry in functions]
    return {
        str(entry["name"]): FunctionEncoder(entry)
        for entry in functions
        if names.count(str(entry["name"])) == 1
    }
