"""Requests boto3 signs wrongly, or that were changed after signing, are refused with AWS's
errors before any operation runs; any region is fine; a revoked key stops at once."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.mturk.conftest import Turk


def refused(call: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return (
        error["Error"]["Code"],
        error["Error"]["Message"],
        error["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_a_signed_request_is_answered_in_any_region(mturk: Turk) -> None:
    for region in ("us-east-1", "eu-west-1"):
        balance = mturk.client(region_name=region).get_account_balance()
        assert float(balance["AvailableBalance"]) > 0
        assert balance["ResponseMetadata"]["RequestId"]


def test_a_wrong_secret_is_refused(mturk: Turk) -> None:
    client = mturk.client(aws_secret_access_key=mturk.secret[:-1] + "x")
    code, message, status = refused(client.get_account_balance)
    assert (code, status) == ("InvalidSignatureException", 400)
    assert "does not match" in message
    assert mturk.secret not in message


def test_an_unknown_or_revoked_key_is_refused(mturk: Turk) -> None:
    unknown = mturk.client(aws_access_key_id="MTRKNOSUCHKEY0000000")
    assert refused(unknown.get_account_balance)[0] == "UnrecognizedClientException"
    client = mturk.client()
    client.get_account_balance()
    mturk.service.keys.revoke(mturk.key_id)
    assert refused(client.get_account_balance)[0] == "UnrecognizedClientException"


def test_a_request_outside_the_clock_skew_window_is_refused(mturk: Turk) -> None:
    client = mturk.client()
    mturk.service.endpoint.wall = lambda: time.time() + 6 * 60  # the gateway's clock ahead
    code, message, _ = refused(client.get_account_balance)
    assert (code, message.split(":")[0]) == ("InvalidSignatureException", "Signature expired")
    mturk.service.endpoint.wall = lambda: time.time() - 6 * 60  # ... or behind
    code, message, _ = refused(client.get_account_balance)
    assert (code, message.split(":")[0]) == (
        "InvalidSignatureException",
        "Signature not yet current",
    )
    mturk.service.endpoint.wall = lambda: time.time() + 4 * 60  # within five minutes
    client.get_account_balance()


def test_a_body_altered_after_signing_is_refused(mturk: Turk) -> None:
    client = mturk.client()

    def alter(request: Any, **_: Any) -> None:
        request.body = b'{"HITId":"T1"}'
        request.headers["Content-Length"] = str(len(request.body))

    client.meta.events.register("before-send.mturk.GetHIT", alter)
    code, _, _ = refused(lambda: client.get_hit(HITId="T2"))
    assert code == "InvalidSignatureException"


def test_an_unsigned_request_or_another_services_signature_is_refused(mturk: Turk) -> None:
    unsigned = mturk.client(config=Config(signature_version=UNSIGNED))
    assert refused(unsigned.get_account_balance)[0] == "MissingAuthenticationTokenException"
    request = AWSRequest(
        method="POST",
        url=mturk.url + "/",
        data=b"{}",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "MTurkRequesterServiceV20170117.GetAccountBalance",
        },
    )
    SigV4Auth(Credentials(mturk.key_id, mturk.secret), "sqs", "us-east-1").add_auth(request)
    answer = httpx.post(request.url, content=request.body, headers=dict(request.headers.items()))
    assert answer.status_code == 400
    assert answer.json()["__type"] == "InvalidSignatureException"
    assert "mturk-requester" in answer.json()["message"]


def test_an_unknown_operation_is_refused_and_one_not_offered_says_so(mturk: Turk) -> None:
    client = mturk.client()
    code, message, status = refused(lambda: client.list_review_policy_results_for_hit(HITId="T1"))
    assert (code, status) == ("RequestError", 400)
    assert "ListReviewPolicyResultsForHIT is not supported" in message
    with pytest.raises(client.exceptions.RequestError) as caught:
        client.get_file_upload_url(AssignmentId="T1S0", QuestionIdentifier="q")
    assert caught.value.response["TurkErrorCode"] == "AWS.MechanicalTurk.UnsupportedOperation"
