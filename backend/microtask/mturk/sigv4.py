"""Signature Version 4, checked as AWS checks it, for the MTurk endpoint.

boto3 (and the AWS CLI, and every AWS SDK) signs each request with an access key's
secret: a canonical form of the request (method, path, query, the headers it names, the
SHA-256 of the body) is signed with a key derived from the secret, the date, the region
and the service (``mturk-requester``). The gateway rebuilds the same canonical request
from what arrived and compares signatures in constant time, so a wrong secret, a changed
header or body, or another service's signature are all refused the same way.

- Any region is accepted (MTurk lived in ``us-east-1``; what matters is that the client
  signed with the region it names), the service must be ``mturk-requester``.
- The request's ``X-Amz-Date`` must be within `CLOCK_SKEW` (five minutes, AWS's window)
  of the gateway's clock, so a captured request cannot be replayed later than that.
- Only the ``Authorization`` header form is taken (SDKs use it for every API call);
  presigned URLs are not.

This module needs no AWS library: it is plain HMAC-SHA256 (botocore is what the tests
sign with).
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import quote, unquote

from microtask.mturk.errors import AwsError

ALGORITHM: Final = "AWS4-HMAC-SHA256"
SERVICE: Final = "mturk-requester"
CLOCK_SKEW: Final = timedelta(minutes=5)
AMZ_DATE: Final = "%Y%m%dT%H%M%SZ"

_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,"
    r"\s*Signature=([0-9a-f]{64})$"
)


@dataclass(frozen=True)
class SignedRequest:
    """What arrived: the method, the raw (still percent-encoded) path and query, the
    headers (names in any case) and the body's bytes."""

    method: str
    raw_path: str
    raw_query: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Credential:
    access_key_id: str
    date: str
    region: str
    service: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def _headers(request: SignedRequest) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def parse_authorization(request: SignedRequest) -> tuple[Credential, list[str], str]:
    """The credential, the signed header names and the signature the request carries."""
    headers = _headers(request)
    header = headers.get("authorization")
    if header is None:
        raise AwsError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
    found = _AUTH.match(header.strip())
    if found is None:
        raise AwsError(
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' "
            f"parameters, signed with {ALGORITHM}.",
        )
    parts = found.group(1).split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
        raise AwsError(
            "IncompleteSignatureException",
            "Credential must have the form ACCESS_KEY/DATE/REGION/SERVICE/aws4_request.",
        )
    credential = Credential(parts[0], parts[1], parts[2], parts[3])
    signed = found.group(2).split(";")
    if "host" not in signed or signed != sorted(signed):
        raise AwsError(
            "IncompleteSignatureException",
            "SignedHeaders must be sorted and include host.",
        )
    return credential, signed, found.group(3)


def check_date(request: SignedRequest, credential: Credential, now: datetime) -> None:
    """Refuse a request dated outside the clock-skew window, or scoped to another day or
    service."""
    stamp = _headers(request).get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(stamp, AMZ_DATE).replace(tzinfo=UTC)
    except ValueError:
        raise AwsError(
            "IncompleteSignatureException", "X-Amz-Date must be a date like 20260101T120000Z."
        ) from None
    if credential.service != SERVICE:
        raise AwsError(
            "InvalidSignatureException",
            f"Credential should be scoped to correct service: '{SERVICE}'.",
        )
    if credential.date != stamp[:8]:
        raise AwsError(
            "InvalidSignatureException",
            f"Credential should be scoped to a valid date, '{stamp[:8]}'.",
        )
    if signed_at < now - CLOCK_SKEW:
        raise AwsError(
            "InvalidSignatureException",
            f"Signature expired: {stamp} is now earlier than "
            f"{(now - CLOCK_SKEW).strftime(AMZ_DATE)} ({now.strftime(AMZ_DATE)} - 5 min.)",
        )
    if signed_at > now + CLOCK_SKEW:
        raise AwsError(
            "InvalidSignatureException",
            f"Signature not yet current: {stamp} is still later than "
            f"{(now + CLOCK_SKEW).strftime(AMZ_DATE)} ({now.strftime(AMZ_DATE)} + 5 min.)",
        )


def canonical_uri(raw_path: str) -> str:
    """The path as botocore signs it: dot segments removed, then percent-encoded."""
    path = unquote(raw_path or "/")
    normalized = posixpath.normpath(path) if path not in ("", "/") else "/"
    if path.endswith("/") and normalized != "/":
        normalized += "/"
    return quote(normalized, safe="/~")


def canonical_query(raw_query: str) -> str:
    """The query's pairs in sorted order, as they were encoded."""
    if not raw_query:
        return ""
    pairs = sorted(
        (key, value) for key, _, value in (p.partition("=") for p in raw_query.split("&"))
    )
    return "&".join(f"{key}={value}" for key, value in pairs)


def canonical_request(request: SignedRequest, signed: list[str]) -> str:
    headers = _headers(request)
    lines = []
    for name in signed:
        if name not in headers:
            raise AwsError(
                "IncompleteSignatureException", f"The signed header {name!r} is not in the request."
            )
        lines.append(f"{name}:{' '.join(headers[name].split())}\n")
    return "\n".join(
        [
            request.method.upper(),
            canonical_uri(request.raw_path),
            canonical_query(request.raw_query),
            "".join(lines),
            ";".join(signed),
            hashlib.sha256(request.body).hexdigest(),
        ]
    )


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signature(secret: str, credential: Credential, amz_date: str, canonical: str) -> str:
    """The hex signature of ``canonical`` with the key derived from ``secret``."""
    to_sign = "\n".join(
        [ALGORITHM, amz_date, credential.scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(("AWS4" + secret).encode("utf-8"), credential.date)
    for part in (credential.region, credential.service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(request: SignedRequest, secrets: Mapping[str, str], now: datetime) -> str:
    """The access key id that signed ``request``, or `AwsError` saying why not.

    ``secrets`` maps each active access key id to its secret.
    """
    credential, signed, given = parse_authorization(request)
    secret = secrets.get(credential.access_key_id)
    if secret is None:
        raise AwsError(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )
    check_date(request, credential, now)
    amz_date = _headers(request)["x-amz-date"]
    expected = signature(secret, credential, amz_date, canonical_request(request, signed))
    if not hmac.compare_digest(expected, given):
        raise AwsError(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.",
        )
    return credential.access_key_id
