"""MTurk HITs done in the web app: a HIT created with the real boto3 client, done by a
worker in Chromium with the injected wallet, read back with boto3 as
``QuestionFormAnswers``, approved with boto3, and paid on chain.

The platform is the web tests' (`tests/web/conftest.py`: the demo marketplace, whose
requester, dev account 1, holds the demo dollar dUSD the HITs pay in), with that
requester's MTurk gateway served on its own port (as `microtask mturk serve` runs it).
"""
# ruff: noqa: E501 (the requesters' documents below are kept as they would write them)

from __future__ import annotations

import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

import boto3
import httpx
import pytest
from botocore.config import Config

from microtask.api.server import ApiServer
from microtask.chain.accounts import dev_accounts
from microtask.client import Worker
from microtask.mturk import ids
from microtask.mturk.app import mturk_app
from microtask.mturk.service import MTurkService, open_service
from tests.web.conftest import (
    InjectedWallet,
    WebPlatform,
    connect_wallet,
    page_errors,
    ready,
    with_wallet,
)
from tests.web.test_pages import SCREENSHOTS, UPDATE, violations

NS: Final = {
    "a": "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/"
    "QuestionFormAnswers.xsd"
}
HTML_NS: Final = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd"
)
TURK_PARAMS: Final = """<script>
function turkGetParam(name) { return new URLSearchParams(window.location.search).get(name) || '' }
</script>"""
PLAIN_FORM: Final = f"""<HTMLQuestion xmlns="{HTML_NS}"><HTMLContent><![CDATA[<!DOCTYPE html>
<html><head><title>Review</title>{TURK_PARAMS}</head><body>
<form name="mturk_form" method="post" id="mturk_form" action="https://www.mturk.com/mturk/externalSubmit">
<input type="hidden" value="" name="assignmentId" id="assignmentId">
<p>Is this review positive? "Great value, works as described."</p>
<label><input type="radio" name="sentiment" value="positive" id="positive"> yes</label>
<label><input type="radio" name="sentiment" value="negative"> no</label>
<label>Why? <input type="text" name="why" id="why"></label>
<p id="shown"></p>
<input type="submit" id="submitButton" value="Submit"></form>
<script>
const assignment = turkGetParam('assignmentId')
document.getElementById('assignmentId').value = assignment
document.getElementById('shown').textContent = assignment + ' ' + turkGetParam('workerId') + ' ' + turkGetParam('hitId')
if (assignment === 'ASSIGNMENT_ID_NOT_AVAILABLE') document.getElementById('submitButton').disabled = true
</script></body></html>]]></HTMLContent><FrameHeight>400</FrameHeight></HTMLQuestion>"""
CROWD_FORM: Final = f"""<HTMLQuestion xmlns="{HTML_NS}"><HTMLContent><![CDATA[
<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form answer-format="flatten-objects">
<p>Is this review positive? "Broke after a day."</p>
<crowd-input name="summary" label="One word"></crowd-input>
<crowd-radio-group>
<crowd-radio-button name="positive" value="positive">yes</crowd-radio-button>
<crowd-radio-button name="negative" value="negative">no</crowd-radio-button>
</crowd-radio-group></crowd-form>]]></HTMLContent><FrameHeight>0</FrameHeight></HTMLQuestion>"""
HOSTILE: Final = f"""<HTMLQuestion xmlns="{HTML_NS}"><HTMLContent><![CDATA[<!DOCTYPE html>
<html><head><title>Hostile</title></head><body><pre id="out"></pre>
<form><input name="x" value="1"><input type="submit" id="go"></form>
<script>
const out = []
const attempt = (name, work) => {{ try {{ out.push(name + ':' + work()) }} catch (e) {{ out.push(name + ':blocked') }} }}
attempt('parent', () => window.parent.document.title)
attempt('wallet', () => typeof window.parent.ethereum + String(window.parent.ethereum))
attempt('cookie', () => document.cookie)
attempt('storage', () => {{ localStorage.setItem('x', 'y'); return 'open' }})
attempt('top', () => {{ window.top.location.href = 'https://example.org/'; return 'tried' }})
fetch('/tasks').then(() => 'open', () => 'blocked').then((fetched) => {{
  out.push('fetch:' + fetched)
  document.getElementById('out').textContent = out.join(' ')
}})
</script></body></html>]]></HTMLContent><FrameHeight>300</FrameHeight></HTMLQuestion>"""
QUESTION_FORM: Final = """<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2017-11-06/QuestionForm.xsd">
<Overview><Title>Product reviews</Title><Text>Read the review, then answer.</Text></Overview>
<Question><QuestionIdentifier>sentiment</QuestionIdentifier><DisplayName>Sentiment</DisplayName>
<IsRequired>true</IsRequired><QuestionContent><Text>Is "Great value" positive?</Text></QuestionContent>
<AnswerSpecification><SelectionAnswer><StyleSuggestion>radiobutton</StyleSuggestion><Selections>
<Selection><SelectionIdentifier>yes</SelectionIdentifier><Text>Yes</Text></Selection>
<Selection><SelectionIdentifier>no</SelectionIdentifier><Text>No</Text></Selection>
</Selections></SelectionAnswer></AnswerSpecification></Question>
<Question><QuestionIdentifier>comment</QuestionIdentifier><DisplayName>Comment</DisplayName>
<IsRequired>true</IsRequired><QuestionContent><Text>Say why.</Text></QuestionContent>
<AnswerSpecification><FreeTextAnswer><Constraints><Length minLength="2" maxLength="100"/></Constraints>
</FreeTextAnswer></AnswerSpecification></Question>
</QuestionForm>"""
EXTERNAL_PAGE: Final = f"""<!DOCTYPE html><html lang="en"><head><title>External task</title>{TURK_PARAMS}</head>
<body><form id="f" method="post"><input type="hidden" name="assignmentId" id="assignmentId">
<label>Colour <input name="colour" id="colour"></label><p id="shown"></p>
<input type="submit" id="submitButton" value="Submit"></form>
<script>
document.getElementById('assignmentId').value = turkGetParam('assignmentId')
document.getElementById('shown').textContent = turkGetParam('assignmentId') + ' ' + turkGetParam('workerId')
document.getElementById('f').action = turkGetParam('turkSubmitTo') + '/mturk/externalSubmit'
</script></body></html>"""


@dataclass
class Gateway:
    web: WebPlatform
    service: MTurkService
    url: str
    key_id: str
    secret: str

    def client(self) -> Any:
        return boto3.client(
            "mturk",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=self.key_id,
            aws_secret_access_key=self.secret,
            config=Config(retries={"max_attempts": 1}),
        )

    def create_hit(self, question: str, **overrides: Any) -> tuple[str, int]:
        """A HIT with ``question`` (one assignment, 0.25 dUSD); its id and task id, once the
        index has its manifest."""
        parameters: dict[str, Any] = {
            "Title": "Is this review positive?",
            "Description": "Read one product review and say if it is positive.",
            "Keywords": "sentiment, reviews",
            "Reward": "0.25",
            "MaxAssignments": 1,
            "LifetimeInSeconds": 3600,
            "AssignmentDurationInSeconds": 600,
            "AutoApprovalDelayInSeconds": 86_400,
            "Question": question,
        } | overrides
        hit_id: str = self.client().create_hit(**parameters)["HIT"]["HITId"]
        task_id = ids.task_of_hit(hit_id)
        self.web.sync()
        deadline = time.monotonic() + 30
        while httpx.get(f"{self.web.url}/tasks/{task_id}").json()["manifest"]["status"] != "ok":
            assert time.monotonic() < deadline, f"task {task_id}'s manifest was never indexed"
            time.sleep(0.1)
        return hit_id, task_id


@pytest.fixture
def gateway(web: WebPlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Gateway]:
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    requester = dev_accounts()[1]
    service = open_service(web.settings, web.platform, requester)  # pays in dUSD
    key, secret = service.keys.create(bytes(requester.key))
    server = ApiServer(mturk_app(service.endpoint), "127.0.0.1", 0, name="the MTurk endpoint")
    server.start()
    service.rounds.interval = 0.2
    service.start()
    try:
        yield Gateway(web, service, server.url, key.access_key_id, secret)
    finally:
        service.stop()
        server.stop()


def answers_of(xml: str) -> dict[str, str | list[str]]:
    root = ET.fromstring(xml)  # noqa: S314 (the gateway's own answer, in a test)
    found: dict[str, str | list[str]] = {}
    for answer in root.findall("a:Answer", NS):
        name = answer.findtext("a:QuestionIdentifier", namespaces=NS) or ""
        chosen = [s.text or "" for s in answer.findall("a:SelectionIdentifier", NS)]
        found[name] = chosen or answer.findtext("a:FreeText", namespaces=NS) or ""
    return found


def worker_page(context: Any, web: WebPlatform, task_id: int) -> tuple[Any, InjectedWallet]:
    wallet = InjectedWallet(web.w3, dev_accounts()[3])
    page = with_wallet(context, wallet)
    page.goto(f"/task/{task_id}")
    ready(page)
    connect_wallet(page, wallet)
    return page, wallet


def accept(page: Any) -> Any:
    """Accept an item, by keyboard (the preview's frame may still be loading above the
    button, and a click lands where the button was); the frame of the slot now held."""
    page.locator("#accept").focus()
    page.keyboard.press("Enter")
    page.locator("iframe#mturk-frame").wait_for()
    auto_next = page.locator("#auto-next")  # by keyboard too: the frame loading moves it
    auto_next.focus()
    page.keyboard.press("Space")
    assert not auto_next.is_checked()
    return page.frame_locator("iframe#mturk-frame")


def the_assignment(gateway: Gateway, hit_id: str) -> dict[str, Any]:
    listed = gateway.client().list_assignments_for_hit(HITId=hit_id)["Assignments"]
    assert len(listed) == 1
    got: dict[str, Any] = gateway.client().get_assignment(AssignmentId=listed[0]["AssignmentId"])[
        "Assignment"
    ]
    assert got == listed[0]
    return got


def test_a_boto3_html_question_hit_is_done_in_the_browser_approved_and_paid(
    gateway: Gateway, context: Any
) -> None:
    web = gateway.web
    hit_id, task_id = gateway.create_hit(PLAIN_FORM)
    page, wallet = worker_page(context, web, task_id)
    worker = wallet.account.address

    # the preview: MTurk's parameters before accepting, the requester's submit disabled
    preview = page.frame_locator("#mturk-preview iframe")
    # (no workerId in a preview, as on MTurk)
    assert preview.locator("#shown").inner_text().split() == ["ASSIGNMENT_ID_NOT_AVAILABLE", hit_id]
    assert preview.locator("#submitButton").is_disabled()
    assert violations(page) == []  # our page around the frame

    frame = accept(page)
    shown = frame.locator("#shown").inner_text().split()
    assignment_id = shown[0]
    assert ids.slot_of_assignment(assignment_id)[0] == task_id
    assert shown[1:] == [ids.worker_id(worker), hit_id] == ["A" + worker[2:].upper(), hit_id]
    assert violations(page) == []
    frame.locator("#positive").check()
    frame.locator("#why").fill("Says it works as described")
    if UPDATE:  # the README's
        page.locator("#work").screenshot(path=str(SCREENSHOTS / "mturk-hit-en-1280.png"))
    frame.locator("#submitButton").click()  # the requester's own button
    page.locator("#done-list li").first.wait_for()
    assert [m["primaryType"] for m in wallet.signed] == ["SlotRequest", "Submission"]

    assignment = the_assignment(gateway, hit_id)
    assert (assignment["AssignmentId"], assignment["WorkerId"]) == (
        assignment_id,
        ids.worker_id(worker),
    )
    assert assignment["AssignmentStatus"] == "Submitted"
    assert answers_of(assignment["Answer"]) == {
        "sentiment": "positive",
        "why": "Says it works as described",
    }

    token = web.platform.token(web.market.token)
    before = Worker(web.platform, address=worker).balance(token.address)
    gateway.client().approve_assignment(AssignmentId=assignment_id, RequesterFeedback="Thanks!")
    assert the_assignment(gateway, hit_id)["AssignmentStatus"] == "Approved"
    after = Worker(web.platform, address=worker).balance(token.address)
    assert after - before == 25 * 10 ** (token.decimals - 2)  # 0.25 dUSD, to the wei
    assert page_errors(page) == []


def test_crowd_form_answers_arrive_as_free_text_task_answers(
    gateway: Gateway, context: Any
) -> None:
    hit_id, task_id = gateway.create_hit(CROWD_FORM)
    page, _ = worker_page(context, gateway.web, task_id)
    frame = accept(page)
    frame.get_by_label("One word").fill("fragile")
    frame.get_by_label("no").check()
    frame.get_by_role("button", name="Submit").click()  # crowd-form's own button
    page.locator("#done-list li").first.wait_for()
    answers = answers_of(the_assignment(gateway, hit_id)["Answer"])
    assert list(answers) == ["taskAnswers"]
    assert json.loads(str(answers["taskAnswers"])) == [
        {"summary": "fragile", "positive": {"on": False}, "negative": {"on": True}}
    ]
    assert page_errors(page) == []


def test_a_question_form_is_rendered_natively_and_handed_in(gateway: Gateway, context: Any) -> None:
    hit_id, task_id = gateway.create_hit(QUESTION_FORM)
    page, _ = worker_page(context, gateway.web, task_id)
    assert page.locator("#mturk-preview").get_by_text("Product reviews").is_visible()
    page.locator("#accept").click()
    form = page.locator("#answer-form")
    form.locator("[data-question=comment] input").wait_for()
    page.locator("#auto-next").uncheck()
    page.locator("#hand-in").click()  # nothing answered: refused in words, nothing signed
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    assert "Sentiment" in summary.inner_text()
    assert "Comment" in summary.inner_text()
    assert violations(page) == []
    form.get_by_label("No").check()
    form.get_by_label("Comment").fill("Too short a review")
    page.locator("#hand-in").click()
    page.locator("#done-list li").first.wait_for()
    answer = the_assignment(gateway, hit_id)["Answer"]
    assert answers_of(answer) == {"sentiment": ["no"], "comment": "Too short a review"}
    assert page_errors(page) == []


class _External(BaseHTTPRequestHandler):
    """The requester's own server for an ExternalQuestion."""

    def do_GET(self) -> None:
        body = EXTERNAL_PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def external() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _External)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/task"
    finally:
        server.shutdown()
        server.server_close()


def test_an_external_question_is_framed_and_its_post_taken_by_the_service_worker(
    gateway: Gateway, context: Any, external: str
) -> None:
    question = (
        '<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/'
        'AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd">'
        f"<ExternalURL>{external}?batch=7</ExternalURL><FrameHeight>300</FrameHeight>"
        "</ExternalQuestion>"
    )
    hit_id, task_id = gateway.create_hit(question)
    page, wallet = worker_page(context, gateway.web, task_id)
    frame = accept(page)
    shown = frame.locator("#shown")
    shown.wait_for()
    assert shown.inner_text().split()[1] == ids.worker_id(wallet.account.address)
    src = page.locator("iframe#mturk-frame").get_attribute("src") or ""
    assert src.startswith(f"{external}?batch=7&assignmentId={hit_id}S")
    assert f"turkSubmitTo={httpx.URL(gateway.web.url).scheme}" in src
    frame.locator("#colour").fill("teal")
    frame.locator("#submitButton").click()
    page.locator("#done-list li").first.wait_for()
    # the service worker answered the post in the browser: the server's fallback page
    # (which says the answers were not handed in) never came
    assert page.frame_locator("iframe#mturk-frame").locator("p").count() == 0
    answers = answers_of(the_assignment(gateway, hit_id)["Answer"])
    assert answers == {"colour": "teal"}
    assert page_errors(page) == []


def test_a_hostile_html_question_reaches_nothing_of_the_app(gateway: Gateway, context: Any) -> None:
    _, task_id = gateway.create_hit(HOSTILE)
    page, wallet = worker_page(context, gateway.web, task_id)
    url = page.url
    out = page.frame_locator("#mturk-preview iframe").locator("#out")
    out.filter(has_text="fetch:").wait_for()
    assert out.inner_text().split() == [
        "parent:blocked",
        "wallet:blocked",
        "cookie:blocked",
        "storage:blocked",
        "top:blocked",
        "fetch:blocked",
    ]
    assert page.url == url
    # opened on its own, the document is sandboxed all the same, by its own policy
    response = httpx.get(f"{gateway.web.url}/task/{task_id}/question")
    policy = response.headers["content-security-policy"]
    assert "sandbox allow-scripts allow-forms" in policy
    assert "connect-src 'none'" in policy
    assert "form-action 'none'" in policy
    # the frame's form, submitted in the preview, asks the wallet for nothing
    page.frame_locator("#mturk-preview iframe").locator("#go").click()
    accept(page)
    assert [m["primaryType"] for m in wallet.signed] == ["SlotRequest"]
    assert page_errors(page) == []
