"""`Endpoint`: an HTTP request in, an MTurk answer out: SigV4, the target, the operation.

Everything about the wire is here and nothing about HITs: the request must be signed with
one of the requester's active access keys (`sigv4`, `keys`; the key file is read again
when it changes, so a revoked key stops working at once), name an operation in
``X-Amz-Target``, and carry JSON; the answer is the operation's JSON or its error, with an
``x-amzn-RequestId`` header as AWS sends (botocore reports it).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from microtask.mturk import sigv4
from microtask.mturk.errors import AwsError, MTurkError, unsupported
from microtask.mturk.gateway import Gateway
from microtask.mturk.keys import AccessKeyStore
from microtask.mturk.wire import (
    CONTENT_TYPES,
    MAX_BODY_BYTES,
    TARGET_PREFIX,
    Params,
    decode_body,
    encode,
)

log = logging.getLogger("microtask.mturk")

CONTENT_TYPE: Final = "application/x-amz-json-1.1"
MTURK_OPERATIONS: Final = frozenset(
    [
        "AcceptQualificationRequest",
        "ApproveAssignment",
        "AssociateQualificationWithWorker",
        "CreateAdditionalAssignmentsForHIT",
        "CreateHIT",
        "CreateHITType",
        "CreateHITWithHITType",
        "CreateQualificationType",
        "CreateWorkerBlock",
        "DeleteHIT",
        "DeleteQualificationType",
        "DeleteWorkerBlock",
        "DisassociateQualificationFromWorker",
        "GetAccountBalance",
        "GetAssignment",
        "GetFileUploadURL",
        "GetHIT",
        "GetQualificationScore",
        "GetQualificationType",
        "ListAssignmentsForHIT",
        "ListBonusPayments",
        "ListHITs",
        "ListHITsForQualificationType",
        "ListQualificationRequests",
        "ListQualificationTypes",
        "ListReviewPolicyResultsForHIT",
        "ListReviewableHITs",
        "ListWorkerBlocks",
        "ListWorkersWithQualificationType",
        "NotifyWorkers",
        "RejectAssignment",
        "RejectQualificationRequest",
        "SendBonus",
        "SendTestEventNotification",
        "UpdateExpirationForHIT",
        "UpdateHITReviewStatus",
        "UpdateHITTypeOfHIT",
        "UpdateNotificationSettings",
        "UpdateQualificationType",
    ]
)
"""Every operation of botocore's ``mturk`` model (2017-01-17)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]


class Endpoint:
    """The gateway behind SigV4 with the requester's access keys."""

    def __init__(
        self,
        gateway: Gateway,
        keys: AccessKeyStore,
        private_key: bytes,
        *,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.gateway = gateway
        self.keys = keys
        self._private_key = private_key
        self.wall = wall
        self._secrets: dict[str, str] = {}
        self._read_at = -1.0
        self._lock = threading.Lock()

    def secrets(self) -> dict[str, str]:
        """The active keys' secrets, read again whenever the key file changed."""
        with self._lock:
            modified = self.keys.modified()
            if modified != self._read_at:
                self._secrets = self.keys.secrets(self._private_key)
                self._read_at = modified
            return self._secrets

    def answer(self, request: sigv4.SignedRequest) -> Answer:
        """The HTTP answer to one request (see the module's note)."""
        request_id = str(uuid.uuid4())
        headers = {"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": request_id}
        try:
            document = self._answer(request)
            return Answer(200, encode(document), headers)
        except AwsError as refused:
            log.info("MTurk request refused: %s", refused.kind)
            return Answer(refused.status, encode(refused.body()), headers)
        except MTurkError as error:
            return Answer(error.status, encode(error.body()), headers)

    def _answer(self, request: sigv4.SignedRequest) -> dict[str, Any]:
        if len(request.body) > MAX_BODY_BYTES:
            raise MTurkError(
                f"the request is over {MAX_BODY_BYTES} bytes", "AWS.ParameterOutOfRange"
            )
        now = datetime.fromtimestamp(self.wall(), UTC)
        sigv4.verify(request, self.secrets(), now)
        headers = {name.lower(): value for name, value in request.headers.items()}
        content_type = headers.get("content-type", "").split(";")[0].strip()
        if content_type not in CONTENT_TYPES:
            raise MTurkError(
                f"Content-Type must be {CONTENT_TYPE}", "AWS.MechanicalTurk.InvalidParameterValue"
            )
        target = headers.get("x-amz-target", "")
        name = target.removeprefix(TARGET_PREFIX)
        if not target.startswith(TARGET_PREFIX) or name not in MTURK_OPERATIONS:
            raise AwsError("UnknownOperationException", f"Unknown operation {target!r}")
        params = Params(name, decode_body(request.body))
        from microtask.mturk import operations  # noqa: F401 (registers every operation)
        from microtask.mturk.gateway import OPERATIONS

        if name not in OPERATIONS:
            raise unsupported(name)
        return self.gateway.call(name, params)
