"""Files that are either wholly old or wholly new, never half-written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(
    path: Path, data: str | bytes, *, mode: int = 0o644, durable: bool = True
) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A crash mid-write leaves the previous file (or none), so a reader never sees a
    truncated record, cache entry or keystore. ``mode`` defaults to world-readable; pass
    0o600 for secrets. ``durable=False`` skips the fsync (a third of a millisecond of CPU,
    milliseconds of waiting): for a record a crash of the machine may lose without harm
    (the process ending keeps it all the same: it is in the page cache).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        try:
            written = 0
            while written < len(payload):  # unbuffered: one write(2) for a small record
                written += os.write(descriptor, payload[written:])
            Path(temporary).chmod(mode)
            if durable:
                os.fsync(descriptor)
        finally:
            os.close(descriptor)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def fsync_directory(directory: Path) -> None:
    """Make the renames and creations inside ``directory`` durable: a file renamed into
    place survives a crash only once its directory's entry is on disk."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
