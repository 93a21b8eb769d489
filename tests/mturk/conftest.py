"""The MTurk endpoint of a requester on a running platform, and boto3 pointed at it.

`mturk` is the client library's served world (tests/client/conftest.py: a real anvil, the
indexer, the verifier's routes, the API on 127.0.0.1) with the requester's gateway served
by its own app on a free port, its rounds running, and an access key made for it: the
requester is the test world's (`tests.quality.scenario.REQUESTER`, who holds the test
dollar TUSD the HITs pay in). `Turk.client` is a real ``boto3.client("mturk")`` with that
endpoint URL; `Turk.worker` does an assignment as the web app's worker does it, through
the verifier without gas (the client library's `Worker`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from microtask.api.server import ApiServer
from microtask.client import Worker
from microtask.config import Settings
from microtask.manifests import ItemAnswer, SubmissionAnswers
from microtask.manifests.answers import FormAnswer
from microtask.mturk.app import mturk_app
from microtask.mturk.service import MTurkService, open_service
from tests.client.conftest import Served
from tests.client.conftest import platform as platform
from tests.client.conftest import served as served
from tests.quality.scenario import REQUESTER, WORKERS

HTML_FORM = """<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd">
<HTMLContent><![CDATA[<!DOCTYPE html><html><body>
<form name="mturk_form" method="post" id="mturk_form" action="https://www.mturk.com/mturk/externalSubmit">
<input type="hidden" value="" name="assignmentId" id="assignmentId"/>
<p>Is this review positive? "Great value, works as described."</p>
<label><input type="radio" name="sentiment" value="positive"/> yes</label>
<label><input type="radio" name="sentiment" value="negative"/> no</label>
<input type="submit" id="submitButton"/></form></body></html>]]></HTMLContent>
<FrameHeight>450</FrameHeight></HTMLQuestion>"""


@dataclass
class Turk:
    """A requester's MTurk endpoint on a served platform."""

    served: Served
    service: MTurkService
    url: str
    key_id: str
    secret: str

    def client(self, **overrides: Any) -> Any:
        """boto3's mturk client for this endpoint (the requester's key unless overridden)."""
        options: dict[str, Any] = {
            "endpoint_url": self.url,
            "region_name": "us-east-1",
            "aws_access_key_id": self.key_id,
            "aws_secret_access_key": self.secret,
            "config": Config(retries={"max_attempts": 1}),
        }
        options.update(overrides)
        return boto3.client("mturk", **options)

    def worker(self, name: str, fields: dict[str, str], hit_id: str) -> int:
        """Worker ``name`` accepts and submits the HIT's form with ``fields``; the slot."""
        task_id = int(hit_id[1:])
        answer = FormAnswer.model_validate(
            {"fields": [{"name": key, "text": value} for key, value in fields.items()]}
        )
        answers = SubmissionAnswers(answers=[ItemAnswer(item_id="hit", answer=answer)])
        done = Worker(self.served.platform, WORKERS[name]).work_gasless(task_id, answers)
        return done.grant.slot

    def create_hit(self, client: Any = None, **overrides: Any) -> dict[str, Any]:
        """A HIT with the test's HTMLQuestion; ``overrides`` replace its parameters."""
        parameters: dict[str, Any] = {
            "Title": "Is this review positive?",
            "Description": "Read one product review and say if it is positive.",
            "Keywords": "sentiment, reviews",
            "Reward": "0.25",
            "MaxAssignments": 2,
            "LifetimeInSeconds": 3600,
            "AssignmentDurationInSeconds": 600,
            "AutoApprovalDelayInSeconds": 86_400,
            "Question": HTML_FORM,
        }
        parameters.update(overrides)
        hit: dict[str, Any] = (client or self.client()).create_hit(**parameters)["HIT"]
        return hit

    def round(self) -> None:
        """One of the gateway's rounds, now (the rounds thread runs them too)."""
        self.service.rounds.round()


def turk_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"mturk_token": "TUSD"})


@pytest.fixture
def mturk(served: Served, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Turk]:
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    settings = turk_settings(served.world.settings)
    service = open_service(settings, served.platform, REQUESTER)
    key, secret = service.keys.create(bytes(REQUESTER.key))
    server = ApiServer(mturk_app(service.endpoint), "127.0.0.1", 0, name="the MTurk endpoint")
    server.start()
    service.rounds.interval = 0.2
    service.start()
    try:
        yield Turk(served, service, server.url, key.access_key_id, secret)
    finally:
        service.stop()
        server.stop()


def worker_id(name: str) -> str:
    """The ``WorkerId`` of a test worker: ``A`` and the address's hex digits, upper case."""
    return "A" + WORKERS[name].address[2:].upper()
