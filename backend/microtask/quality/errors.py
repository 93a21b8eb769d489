"""What quality control raises: the caller asked for something the inputs cannot give."""

from __future__ import annotations

from microtask.errors import UserError


class QualityError(UserError, ValueError):
    """Root of the quality-control errors (a `UserError`: the caller can ask differently)."""


class GoldUnavailable(QualityError):
    """The manifest's gold answers cannot be read with what was given (wrong key, no salts)."""


class ReviewUnavailable(QualityError):
    """A review document cannot be written for a decision (undecided, or no submission CID)."""
