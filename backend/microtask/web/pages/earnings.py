"""``/earnings``: the connected worker's balance per token in the escrow's ledger, what
they earned and withdrew, the history of every movement, and a withdraw form per token."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from microtask.db.base import MovementKind
from microtask.db.models import Account, LedgerMovement
from microtask.web.app import PageDep

router = APIRouter(include_in_schema=False)
HISTORY = 50


@router.get("/earnings", response_class=HTMLResponse)
def earnings(ctx: PageDep) -> HTMLResponse:
    _ = ctx.gettext
    worker = ctx.worker
    accounts: list[Account] = []
    history: list[LedgerMovement] = []
    if worker is not None:
        with ctx.state.sessions() as session:
            accounts = list(
                session.scalars(
                    select(Account).where(Account.address == worker).order_by(Account.token)
                )
            )
            history = list(
                session.scalars(
                    select(LedgerMovement)
                    .where(LedgerMovement.account == worker)
                    .order_by(
                        LedgerMovement.block_number.desc(),
                        LedgerMovement.log_index.desc(),
                        LedgerMovement.seq.desc(),
                    )
                    .limit(HISTORY)
                )
            )
    kinds = {
        MovementKind.REWARD: _("reward"),
        MovementKind.FEE: _("fee"),
        MovementKind.REFUND: _("refund"),
        MovementKind.BONUS: _("bonus"),
        MovementKind.WITHDRAWAL: _("withdrawal"),
        MovementKind.FUNDING: _("funding"),
    }
    withdrawn = ctx.request.query_params.get("withdrawn")
    return ctx.render(
        "earnings.html",
        page="earnings",
        title=_("Earnings"),
        accounts=accounts,
        history=history,
        movement_kinds=kinds,
        withdrawn=withdrawn,
    )
