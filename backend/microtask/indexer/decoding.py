"""Turn the escrow's raw logs into events: a name and JSON-ready arguments.

Decoding is done once per log, straight with eth-abi against the deployment record's ABI
(web3's per-event machinery costs several times more). The arguments come out in the form
they are stored in ``events.args`` and in which the handlers read them, so live ingestion
and a rebuild from stored events run exactly the same handler code:

- addresses checksummed; ``bytes``/``bytesN`` as ``0x``-hex;
- ``uint128``/``uint256``/``int256`` as decimal strings (JSON numbers lose precision past
  2**53), smaller integers as numbers; booleans as booleans;
- arrays as lists, structs (the ``task`` of TaskCreated) as objects by field name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.abi import collapse_if_tuple, event_abi_to_log_topic

from microtask.db.types import checksummed
from microtask.errors import MicrotaskError

_WIDE_INTS = frozenset({"uint128", "uint256", "int128", "int256"})


class UndecodableLog(MicrotaskError):
    """A log at the escrow's address that its ABI cannot decode."""


@dataclass(frozen=True, slots=True)
class ChainEvent:
    """One decoded escrow event at its place in the chain."""

    name: str
    args: dict[str, Any]
    block_number: int
    block_hash: str
    block_timestamp: int
    tx_hash: str
    tx_index: int
    log_index: int

    @property
    def task_id(self) -> int | None:
        value = self.args.get("taskId")
        return int(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class RawLog:
    """A log as the node returns it, with hex strings for hashes and data."""

    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    block_hash: str
    tx_hash: str
    tx_index: int
    log_index: int


def _normalizer(abi_input: Mapping[str, Any]) -> Any:
    """A function turning eth-abi's value for ``abi_input`` into its stored JSON form."""
    kind: str = abi_input["type"]
    if kind.endswith("]"):
        inner = dict(abi_input, type=kind[: kind.rindex("[")])
        element = _normalizer(inner)
        return lambda values: [element(value) for value in values]
    if kind == "tuple":
        fields = [(c["name"], _normalizer(c)) for c in abi_input["components"]]
        return lambda values: {
            name: convert(value) for (name, convert), value in zip(fields, values, strict=True)
        }
    if kind == "address":
        return checksummed
    if kind.startswith("bytes"):
        return lambda value: "0x" + bytes(value).hex()
    if kind in _WIDE_INTS:
        return str
    if kind.startswith(("uint", "int")):
        return int
    if kind == "bool":
        return bool
    return lambda value: value  # string


def _word_decoder(abi_type: str) -> Any | None:
    """A decoder of one 32-byte ABI word of a static basic type, or None for other types.

    Most escrow events carry only such words (ids, slots, addresses, timestamps); reading
    them directly is several times faster than eth-abi's general decoder.
    """
    if abi_type == "address":
        return lambda word: checksummed("0x" + word[12:].hex())
    if abi_type == "bool":
        return lambda word: word[31] == 1
    if abi_type.startswith("uint") and abi_type[4:].isdigit():
        wide = abi_type in _WIDE_INTS
        return (lambda word: str(int.from_bytes(word))) if wide else int.from_bytes
    if abi_type == "bytes32":
        return lambda word: "0x" + word.hex()
    return None


@dataclass(frozen=True)
class _EventShape:
    name: str
    order: list[str]  # argument names in declaration order
    indexed: list[tuple[str, str, Any]]  # (name, abi type, normalizer)
    data_names: list[str]
    data_types: list[str]
    data_normalizers: list[Any]
    indexed_words: list[Any] | None  # direct decoders when every topic is a basic word
    data_words: list[Any] | None  # direct decoders when the data is all basic words


def _all_words(abi_types: list[str]) -> list[Any] | None:
    decoders = [_word_decoder(abi_type) for abi_type in abi_types]
    return None if any(d is None for d in decoders) else decoders


class EventDecoder:
    """Decodes the logs of one contract ABI by their first topic."""

    def __init__(self, abi: Sequence[Mapping[str, Any]]) -> None:
        self._shapes: dict[bytes, _EventShape] = {}
        for entry in abi:
            if entry.get("type") != "event" or entry.get("anonymous"):
                continue
            inputs = entry["inputs"]
            indexed = [i for i in inputs if i["indexed"]]
            data = [i for i in inputs if not i["indexed"]]
            topic = event_abi_to_log_topic(dict(entry))  # type: ignore[arg-type]
            self._shapes[topic] = _EventShape(
                name=entry["name"],
                order=[i["name"] for i in inputs],
                indexed=[(i["name"], collapse_if_tuple(dict(i)), _normalizer(i)) for i in indexed],
                data_names=[i["name"] for i in data],
                data_types=[collapse_if_tuple(dict(i)) for i in data],
                data_normalizers=[_normalizer(i) for i in data],
                indexed_words=_all_words([collapse_if_tuple(dict(i)) for i in indexed]),
                data_words=_all_words([collapse_if_tuple(dict(i)) for i in data]),
            )

    @property
    def event_names(self) -> list[str]:
        return sorted(shape.name for shape in self._shapes.values())

    def topics_of(self, *names: str) -> list[str]:
        return ["0x" + topic.hex() for topic, s in self._shapes.items() if s.name in names]

    def decode(self, log: RawLog, block_timestamp: int) -> ChainEvent | None:
        """The event ``log`` carries, or None for a topic the ABI does not know."""
        if not log.topics:
            return None
        shape = self._shapes.get(log.topics[0])
        if shape is None:
            return None
        if len(log.topics) != len(shape.indexed) + 1:
            raise UndecodableLog(f"{shape.name} log with {len(log.topics)} topics")
        args: dict[str, Any] = {}
        try:
            if shape.indexed_words is not None:
                for (name, _, _), word, topic in zip(
                    shape.indexed, shape.indexed_words, log.topics[1:], strict=True
                ):
                    args[name] = word(topic)
            else:
                for (name, abi_type, convert), topic in zip(
                    shape.indexed, log.topics[1:], strict=True
                ):
                    args[name] = convert(abi_decode([abi_type], topic)[0])
            data = log.data
            if shape.data_words is not None:
                if len(data) != 32 * len(shape.data_words):
                    raise ValueError(f"{len(data)} bytes of data")
                for index, (name, word) in enumerate(
                    zip(shape.data_names, shape.data_words, strict=True)
                ):
                    args[name] = word(data[32 * index : 32 * index + 32])
            else:
                values = abi_decode(shape.data_types, data)
                for name, convert, value in zip(
                    shape.data_names, shape.data_normalizers, values, strict=True
                ):
                    args[name] = convert(value)
        except Exception as error:  # eth-abi raises several unrelated types
            raise UndecodableLog(f"cannot decode {shape.name}: {error}") from error
        return ChainEvent(
            name=shape.name,
            args={name: args[name] for name in shape.order},
            block_number=log.block_number,
            block_hash=log.block_hash,
            block_timestamp=block_timestamp,
            tx_hash=log.tx_hash,
            tx_index=log.tx_index,
            log_index=log.log_index,
        )
