"""MTurk's question documents in the worker's pages: a moved HIT's task done in the web app.

A HIT the MTurk gateway created is a ``form`` task whose manifest keeps the requester's
question document (`microtask.manifests.questions`). The task page shows it as MTurk's
workers saw it:

- ``HTMLQuestion``: the requester's HTML, untrusted, served by ``/task/{id}/question``
  into a frame sandboxed ``allow-scripts allow-forms`` (no same origin: the document's
  origin is opaque, so it reaches neither the app's storage, cookies, wallet nor parent
  page) under its own Content-Security-Policy (which also sandboxes it when opened on its
  own, and lets it connect nowhere and post forms nowhere). A small script put at the top
  of the document (``static/mturk-frame.js``) takes the form's submission, whichever way
  the page submits it, and hands its fields to the task page with ``postMessage``;
  Chromium does not let a service worker see an opaque-origin frame's navigations, so
  this is how the fields reach the page without going to the server.
- ``ExternalQuestion``: the requester's own page, framed from its URL (sandboxed too, but
  keeping its own origin, which is never ours) with MTurk's query parameters. Its form
  posts to ``turkSubmitTo + "/mturk/externalSubmit"``, our origin, where the app's service
  worker (``/mturk/sw.js``, ``static/mturk-sw.js``) takes the post in the worker's browser
  and hands its fields to the task page. Without the service worker the post reaches
  ``POST /mturk/externalSubmit``, which reads nothing and says so.
- ``QuestionForm``: rendered natively by the server (`question_view`).

The task page then seals and signs the fields as any answer (``ts/pages/task.ts``): the
platform's servers never see them in the clear. The query parameters are MTurk's:
``assignmentId`` (`ids.assignment_id`, or ``ASSIGNMENT_ID_NOT_AVAILABLE`` before the worker
accepts), ``hitId``, ``workerId`` (`ids.worker_id`: ``A`` and the address in upper-case
hex) and ``turkSubmitTo`` (this origin).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape

from microtask.api.routes.tasks import get_task as read_task
from microtask.manifests.answers import FormSchema
from microtask.manifests.questions import (
    Content,
    ExternalQuestion,
    FormQuestion,
    FreeText,
    HtmlQuestion,
    Question,
    QuestionForm,
)
from microtask.mturk import ids
from microtask.web.app import PageDep
from microtask.web.assets import WEB_DIR
from microtask.web.markdown import sanitise_html
from microtask.web.render import PageContext

router = APIRouter(include_in_schema=False)

NOT_AVAILABLE: Final = "ASSIGNMENT_ID_NOT_AVAILABLE"
"""MTurk's ``assignmentId`` while the worker only previews the HIT."""
HTML_SANDBOX: Final = "allow-scripts allow-forms"
EXTERNAL_SANDBOX: Final = "allow-scripts allow-forms allow-same-origin"
"""An external page keeps its own origin (its cookies, its own server), never ours: a
page on this origin is refused (`frame_of`)."""
DEFAULT_FRAME_HEIGHT: Final = 600
SUBMIT_PATH: Final = "/mturk/externalSubmit"
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_HTML = re.compile(r"<html\b[^>]*>", re.IGNORECASE)
_DOCTYPE = re.compile(r"^\s*<!doctype[^>]*>", re.IGNORECASE)


@cache
def _static(name: str) -> str:
    return (WEB_DIR / "static" / name).read_text(encoding="utf-8")


def origin_of(request: Request) -> str:
    """This app's origin as the browser reached it (MTurk's ``turkSubmitTo``)."""
    return f"{request.url.scheme}://{request.url.netloc}"


def frame_policy(origin: str) -> str:
    """The question document's own policy: sandboxed even when opened on its own; scripts,
    styles, images and media of its own or from https (as MTurk's pages loaded them); no
    connections (the answers leave only through the task page, sealed); no form goes
    anywhere (the frame's script hands the fields over instead); framed only here."""
    return "; ".join(
        [
            f"sandbox {HTML_SANDBOX}",
            "default-src 'none'",
            "script-src 'unsafe-inline' https:",
            "style-src 'unsafe-inline' https:",
            "img-src https: data:",
            "media-src https: data:",
            "font-src https: data:",
            "connect-src 'none'",
            "form-action 'none'",
            "base-uri 'none'",
            f"frame-ancestors {origin}",
        ]
    )


def with_frame_script(html: str, submit_label: str) -> str:
    """``html`` with the frame's script first in its head (before the requester's own
    scripts, so it sees every submission)."""
    script = (
        f'<script data-submit-label="{escape(submit_label)}">{_static("mturk-frame.js")}</script>'
    )
    for pattern in (_HEAD, _HTML, _DOCTYPE):
        found = pattern.search(html)
        if found is not None:
            return html[: found.end()] + script + html[found.end() :]
    return script + html


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode([*query, *params.items()])))


def mturk_params(
    request: Request, task_id: int, slot: int | None, worker: str | None
) -> dict[str, str]:
    """MTurk's query parameters for the question's frame: preview without a slot."""
    if slot is None or worker is None:
        return {"assignmentId": NOT_AVAILABLE, "hitId": ids.hit_id(task_id)}
    return {
        "assignmentId": ids.assignment_id(task_id, slot),
        "hitId": ids.hit_id(task_id),
        "workerId": ids.worker_id(worker),
        "turkSubmitTo": origin_of(request),
    }


def frame_sources(request: Request, question: Question) -> tuple[str, ...]:
    """What the task page's policy lets its frames load for ``question``."""
    if isinstance(question, HtmlQuestion):
        return ("'self'",)
    if isinstance(question, ExternalQuestion):  # and here: its form posts to turkSubmitTo
        parts = urlsplit(question.url)
        return (f"{parts.scheme}://{parts.netloc}", "'self'")
    return ()


def frame_of(
    request: Request, task_id: int, question: Question, slot: int | None, worker: str | None
) -> dict[str, Any] | None:
    """The frame's attributes for ``question`` (none for a QuestionForm); ``refused`` when
    an external page would share this origin (a sandbox with this origin is no sandbox)."""
    params = mturk_params(request, task_id, slot, worker)
    if isinstance(question, HtmlQuestion):
        url = _with_query(f"/task/{task_id}/question", params)
        sandbox, height = HTML_SANDBOX, question.frame_height
    elif isinstance(question, ExternalQuestion):
        parts = urlsplit(question.url)
        if f"{parts.scheme}://{parts.netloc}" == origin_of(request):
            return {"refused": True}
        url = _with_query(question.url, params)
        sandbox, height = EXTERNAL_SANDBOX, question.frame_height
    else:
        return None
    return {
        "url": url,
        "sandbox": sandbox,
        "height": height or DEFAULT_FRAME_HEIGHT,
        "external": isinstance(question, ExternalQuestion),
        "assignment_id": params["assignmentId"],
        "refused": False,
    }


def _content(content: Content) -> dict[str, Any]:
    if content.kind == "formatted":
        return {"kind": "formatted", "html": sanitise_html(content.text)}
    return {
        "kind": content.kind,
        "text": content.text,
        "items": list(content.items),
        "url": content.url,
    }


def question_view(form: QuestionForm) -> list[dict[str, Any]]:
    """A QuestionForm's parts as the template draws them, in document order."""
    parts: list[dict[str, Any]] = []
    for part in form.parts:
        content = [_content(piece) for piece in part.content]
        if not isinstance(part, FormQuestion):
            parts.append({"type": "overview", "content": content})
            continue
        answer = part.answer
        view: dict[str, Any] = {
            "type": "question",
            "id": part.identifier,
            "name": part.display_name,
            "required": part.required,
            "content": content,
        }
        if isinstance(answer, FreeText):
            view |= {"answer": "text", "spec": answer}
        else:
            multiple = answer.max_count > 1 or answer.style in ("checkbox", "multichooser")
            view |= {"answer": "select", "spec": answer, "multiple": multiple}
        parts.append(view)
    return parts


def form_context(
    ctx: PageContext, task_id: int, schema: FormSchema, *, preview: bool = False
) -> dict[str, Any]:
    """What a template needs to show a form task's question: to the slot's worker (the
    item fragment's ``?slot=``), or in ``preview`` (the task page, before accepting)."""
    slot_text = "" if preview else ctx.request.query_params.get("slot", "")
    slot = int(slot_text) if slot_text.isdigit() and len(slot_text) < 11 else None
    question = schema.parsed
    return {
        "question": question,
        "frame": frame_of(ctx.request, task_id, question, slot, ctx.worker),
        "parts": question_view(question) if isinstance(question, QuestionForm) else [],
    }


@router.get("/task/{task_id}/question", response_class=HTMLResponse)
def question_document(ctx: PageDep, task_id: int = Path(ge=0, le=2**63 - 1)) -> Response:
    """The task's ``HTMLQuestion`` document, for its sandboxed frame (see the module)."""
    with ctx.state.sessions() as session:
        task = read_task(task_id, session, ctx.state)
    from microtask.web.pages.task import _manifest

    manifest = _manifest(ctx, task.manifest.cid)
    schema = manifest.answer_schema if manifest is not None else None
    if not isinstance(schema, FormSchema) or not isinstance(schema.parsed, HtmlQuestion):
        return Response("not an HTMLQuestion task", 404, media_type="text/plain")
    _ = ctx.gettext
    html = with_frame_script(schema.parsed.html, _("Submit"))
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": frame_policy(origin_of(ctx.request)),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


@router.get("/mturk/sw.js")
def service_worker() -> Response:
    """The service worker that takes an ExternalQuestion's ``externalSubmit`` post in the
    worker's browser (its scope is ``/mturk/``)."""
    return Response(
        _static("mturk-sw.js"),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


@router.api_route(SUBMIT_PATH, methods=["GET", "POST"], response_class=HTMLResponse)
def external_submit_fallback(ctx: PageDep) -> HTMLResponse:
    """The post arrived here, so the service worker did not take it (a browser without
    one, or a frame it does not control): nothing is read or kept, and the worker is told
    to hand in from the task page."""
    _ = ctx.gettext
    message = _(
        "These answers were not handed in: this browser did not pass them to the task page. "
        "Reload the task page and submit the form again."
    )
    return HTMLResponse(
        f'<!doctype html><html lang="{ctx.language}"><title>{escape(message)}</title>'
        f"<p>{escape(message)}</p></html>",
        status_code=409,
        headers={
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )
