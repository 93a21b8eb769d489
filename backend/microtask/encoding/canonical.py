"""Canonical JSON: one byte string per JSON value, so equal documents hash (and sign) equally.

Sorted keys, no insignificant whitespace, UTF-8 without escapes, and no NaN or infinity
(which JSON cannot carry). Two parties serialising the same manifest get the same bytes,
hence the same CID; an envelope's signed digest is over these bytes.
"""

from __future__ import annotations

import json
from typing import Any


def canonical_json(value: Any) -> bytes:
    """The canonical bytes of ``value``; raises ValueError or TypeError if it is not JSON."""
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")
