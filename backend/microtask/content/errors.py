"""What can go wrong with content, so callers catch exactly what they can handle.

A missing CID is the caller's to fix (ask for another, fetch it elsewhere); a block whose
bytes do not match its hash is never served, and says which block and where it lives, so
an operator can delete or re-fetch it; an unreachable Kubo node is the environment's fault.
"""

from __future__ import annotations

from microtask.errors import EnvironmentProblem, UserError


class ContentError(UserError):
    """Root of the content errors that a different request could avoid."""


class InvalidCid(ContentError, ValueError):
    """A string or byte sequence is not a CID we can use."""


class ContentNotFound(ContentError, LookupError):
    """The store does not hold the requested CID (or a block under it)."""


class NotPinned(ContentError, LookupError):
    """An unpin of a CID that is not pinned (directly) in this store."""


class NotAFile(ContentError, ValueError):
    """The CID names something other than a UnixFS file (a directory, a foreign codec)."""


class UnsupportedContent(ContentError, ValueError):
    """Content in a codec, hash function or UnixFS feature this store does not handle."""


class ContentTooLarge(ContentError, ValueError):
    """Content exceeds a configured limit (a block, a JSON document, a read)."""


class CarFormatError(ContentError, ValueError):
    """A CAR file is malformed or truncated, or names roots it does not carry."""


class ContentCorrupted(EnvironmentProblem):
    """A stored block's bytes do not hash to its CID: it was tampered with or truncated.

    This is the disk's or the node's fault, not the request's, so it is an environment
    problem (exit code 3); the block is never served.
    """


class ContentStoreUnavailable(EnvironmentProblem, ConnectionError):
    """The configured content store cannot be reached (a Kubo node is down or refuses)."""
