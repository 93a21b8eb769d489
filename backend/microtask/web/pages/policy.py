"""``/policy``: a requester's allow and block lists and quality rule, for one task or all
of theirs, signed by the wallet and sent to the verifier's policy route (``POST
/verifier/policies``), as ``microtask task policy`` does through `Requester.set_policy`.

The wallet signs a `VerifierCommand` whose ``payloadHash`` is the keccak256 of the policy's
canonical JSON. The page asks ``POST /policy/draft`` to check the fields (the client
library's `policy_of`: an error names its field) and to give the canonical JSON and the
chain's time; the script hashes that JSON itself before the wallet signs, and sends that
very JSON, so what is signed is what is sent. The verifier checks the signature, the
requester of the task, and that the policy is newer than the one in force.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select

from microtask.api.problems import invalid_field, unavailable
from microtask.client.errors import InvalidPolicy
from microtask.client.verifier_requests import policy_command, policy_of
from microtask.db.models import Manifest, Task
from microtask.quality.rules import QualityRule
from microtask.web.app import PageDep

router = APIRouter(include_in_schema=False)
SEPARATORS = re.compile(r"[\s,;]+")


class PolicyFields(BaseModel):
    """The policy form as typed: addresses one per line (or separated by commas)."""

    task_id: int = Field(ge=0, le=2**63 - 1)
    allow: str = Field(default="", max_length=200_000)
    block: str = Field(default="", max_length=200_000)
    rule: str = Field(default="", max_length=100_000)


def _addresses(text: str) -> list[str]:
    return [part for part in SEPARATORS.split(text.strip()) if part]


def _rule(text: str) -> QualityRule | None:
    if not text.strip():
        return None
    try:
        return QualityRule.model_validate(json.loads(text))
    except json.JSONDecodeError as error:
        raise invalid_field(
            "body", "rule", f"not JSON ({error.msg}, line {error.lineno})"
        ) from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise invalid_field("body", "rule", f"{where}: {first['msg']}") from None


@router.get("/policy", response_class=HTMLResponse)
def policy_page(ctx: PageDep) -> HTMLResponse:
    _ = ctx.gettext
    tasks: list[tuple[int, str | None]] = []
    if ctx.worker is not None:
        with ctx.state.sessions() as session:
            tasks = [
                (task_id, title)
                for task_id, title in session.execute(
                    select(Task.task_id, Manifest.title)
                    .outerjoin(Manifest, Manifest.cid == Task.manifest_cid)
                    .where(Task.requester == ctx.worker, Task.cancelled.is_(False))
                    .order_by(Task.task_id.desc())
                    .limit(200)
                )
            ]
    return ctx.render(
        "policy.html",
        page="policy",
        title=_("Policy"),
        tasks=tasks,
        default_rule=QualityRule().model_dump_json(indent=2),
        data={"escrowErrors": ctx.site.escrow_errors},
    )


@router.post("/policy/draft")
def policy_draft(ctx: PageDep, fields: Annotated[PolicyFields, Body()]) -> dict[str, Any]:
    """The policy as the verifier will hash it, and the command the wallet signs."""
    allow = _addresses(fields.allow)
    try:
        policy = policy_of(
            allow=allow or None, block=_addresses(fields.block), rule=_rule(fields.rule)
        )
    except InvalidPolicy as error:
        field = "allow" if "allow" in str(error) else "block"
        raise invalid_field("body", field, str(error).removeprefix("invalid policy: ")) from None
    platform = ctx.site.platform
    if platform is None:
        raise unavailable("chain", "these pages serve no chain: set policies with the CLI")
    from microtask.verifier.clock import ChainClock

    issued_at = ChainClock.of_node(platform.w3)()
    command = policy_command(fields.task_id, policy, issued_at)
    return {
        "canonical": policy.canonical().decode(),
        "payload_hash": "0x" + command.payload_hash.hex(),
        "task_id": fields.task_id,
        "issued_at": issued_at,
    }
