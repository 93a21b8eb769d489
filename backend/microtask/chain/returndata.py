"""A view's return data decoded straight from its words, for flat structs of static types.

The verifier reads every slot it settles (``getSlot``: a state, a worker, a time), 200 in
one JSON-RPC batch; ``eth_abi.decode`` spends some 50 microseconds on each, building a
decoder stream and tuple decoders for three 32-byte words, and a checksum of the same few
hundred workers again and again. `StaticDecoder` reads each word with ``int.from_bytes``
and applies eth_abi's strict checks (enough bytes, zero padding, a bool that is 0 or
1), so it returns what ``eth_abi.decode`` returns (the tests compare them), with addresses
checksummed as web3 gives them, through the remembered `eip712.checksum`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from eth_abi.exceptions import InsufficientDataBytes, NonEmptyPaddingBytes

from microtask.encoding.eip712 import checksum

WORD: Final = 32
_UINT: Final = re.compile(r"^uint(\d+)$")

Read = Callable[[int], Any]


def _reader(kind: str) -> Read | None:
    """How to turn one word (as an int) into ``kind``'s value (None: not supported)."""
    uint = _UINT.match(kind)
    if uint is not None:
        bits = int(uint.group(1))
        limit = 1 << bits

        def read_uint(word: int) -> int:
            if word >= limit:
                raise NonEmptyPaddingBytes(f"padding bytes of a uint{bits} are not empty")
            return word

        return read_uint
    if kind == "address":

        def read_address(word: int) -> str:
            if word >> 160:
                raise NonEmptyPaddingBytes("padding bytes of an address are not empty")
            return checksum(word.to_bytes(20, "big"))

        return read_address
    if kind == "bool":

        def read_bool(word: int) -> bool:
            if word > 1:
                raise NonEmptyPaddingBytes(f"a bool must be 0 or 1, not {word}")
            return word == 1

        return read_bool
    return None


class StaticDecoder:
    """Decodes the return data of a view returning one flat struct (or plain values) of
    unsigned integers, addresses and bools: a tuple of its values in ABI order."""

    def __init__(self, outputs: Sequence[Mapping[str, Any]]) -> None:
        fields = outputs
        if len(outputs) == 1 and outputs[0]["type"] == "tuple":
            fields = outputs[0]["components"]
        readers = [_reader(str(field["type"])) for field in fields]
        if any(reader is None for reader in readers):
            kinds = [str(field["type"]) for field in fields]
            raise ValueError(f"not a flat struct of uints, addresses and bools: {kinds}")
        self._readers: list[Read] = [reader for reader in readers if reader is not None]
        self.size = WORD * len(self._readers)

    def decode(self, data: bytes) -> tuple[Any, ...]:
        """The values, checked as strictly as ``eth_abi.decode`` checks them."""
        if len(data) < self.size:  # more is ignored, as eth_abi ignores it
            raise InsufficientDataBytes(
                f"expected {self.size} bytes of return data, got {len(data)}"
            )
        return tuple(
            read(int.from_bytes(data[n * WORD : (n + 1) * WORD], "big"))
            for n, read in enumerate(self._readers)
        )
