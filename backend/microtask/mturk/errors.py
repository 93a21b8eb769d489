"""How the gateway refuses, as botocore parses it.

An MTurk operation fails with one of two modelled errors, in AWS JSON 1.1's shape
(``{"__type": ..., "Message": ..., "TurkErrorCode": ...}``): ``RequestError`` (HTTP 400:
the request cannot be honoured; botocore does not retry it) or ``ServiceFault`` (HTTP 500:
try again; botocore retries it). boto3 raises ``client.exceptions.RequestError`` with the
message and MTurk's ``TurkErrorCode`` in ``error.response``.

A request that is not properly signed never reaches an operation: it gets AWS's own
authentication errors (`AwsError`), which are not MTurk's modelled errors, as AWS sent
them: ``MissingAuthenticationTokenException``, ``IncompleteSignatureException``,
``UnrecognizedClientException`` (an unknown or revoked access key),
``InvalidSignatureException`` (a wrong secret, an altered request, or a date outside the
clock-skew window). An unknown ``X-Amz-Target`` gets ``UnknownOperationException``.
"""

from __future__ import annotations

from typing import Any, Final

INVALID_VALUE: Final = "AWS.MechanicalTurk.InvalidParameterValue"
MISSING: Final = "AWS.MissingParameters"
OUT_OF_RANGE: Final = "AWS.ParameterOutOfRange"
UNSUPPORTED: Final = "AWS.MechanicalTurk.UnsupportedOperation"
UNAVAILABLE: Final = "AWS.ServiceUnavailable"
INTERNAL: Final = "AWS.MechanicalTurk.InternalError"


class MTurkError(Exception):
    """An operation's refusal: a ``RequestError``, or a ``ServiceFault`` when ``fault``."""

    def __init__(self, message: str, turk_code: str = INVALID_VALUE, *, fault: bool = False):
        super().__init__(message)
        self.message = message
        self.turk_code = turk_code
        self.fault = fault

    @property
    def status(self) -> int:
        return 500 if self.fault else 400

    def body(self) -> dict[str, Any]:
        kind = "ServiceFault" if self.fault else "RequestError"
        return {"__type": kind, "Message": self.message, "TurkErrorCode": self.turk_code}


def fault(message: str, turk_code: str = UNAVAILABLE) -> MTurkError:
    """A ``ServiceFault``: the platform could not do it now; botocore retries."""
    return MTurkError(message, turk_code, fault=True)


def unsupported(operation: str, why: str = "") -> MTurkError:
    reason = f": {why}" if why else ""
    return MTurkError(
        f"{operation} is not supported by the microtask MTurk endpoint{reason}", UNSUPPORTED
    )


class AwsError(Exception):
    """A request refused before any operation: AWS's own errors (authentication, an
    unknown operation)."""

    def __init__(self, kind: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status

    def body(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": self.message}
