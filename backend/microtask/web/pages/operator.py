"""``/operator``: the escrow owner's settings (fee, minimum fee per token, treasury,
default arbitrator, pause), read from the chain, each changed by a transaction from the
owner's wallet. Anyone else gets 403 and no form: the escrow would refuse them anyway
(``OwnableUnauthorizedAccount``), and the page says so before the wallet is asked."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from microtask.escrow import MAX_FEE_BPS
from microtask.web.app import PageDep
from microtask.web.render import PageContext
from microtask.web.roles import escrow_owner

router = APIRouter(include_in_schema=False)


def forbidden(ctx: PageContext, page: str, title: str, message: str) -> HTMLResponse:
    """403, in words, with the wallet menu to connect the right address."""
    return ctx.render("forbidden.html", page=page, title=title, message=message, status_code=403)


@router.get("/operator", response_class=HTMLResponse)
def operator(ctx: PageDep) -> HTMLResponse:
    _ = ctx.gettext
    title = _("Operator")
    owner = escrow_owner(ctx.site, ctx.state)
    if ctx.worker is None or ctx.worker != owner:
        return forbidden(
            ctx, "operator", title, _("This page is for the escrow's owner: connect its wallet.")
        )
    platform = ctx.site.platform
    if platform is None:
        return forbidden(ctx, "operator", title, _("These pages serve no chain: use the CLI."))
    reader = platform.reader
    minimum_fees = [
        {"token": token, "amount": reader.minimum_fee(address)}
        for address, token in ctx.site.tokens.items()
    ]
    settings = {
        "fee_bps": reader.fee_bps(),
        "treasury": reader.treasury(),
        "default_arbitrator": reader.default_arbitrator(),
        "paused": reader.paused(),
        "dispute_window": ctx.site.dispute_window,
        "arbitration_timeout": reader.arbitration_timeout(),
    }
    return ctx.render(
        "operator.html",
        page="operator",
        title=title,
        owner=owner,
        settings=settings,
        minimum_fees=minimum_fees,
        max_fee_bps=MAX_FEE_BPS,
        data={"escrowErrors": ctx.site.escrow_errors, "maxFeeBps": MAX_FEE_BPS},
        done=ctx.request.query_params.get("done"),
    )
