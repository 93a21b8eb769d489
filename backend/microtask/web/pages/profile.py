"""``/profile/{address}``: a worker's records, scores and badges (with when each was
earned); ``/profile``: the connected worker's; ``/leaders``: leaderboards by period."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError

from microtask.api.params import Address
from microtask.api.routes.leaderboard import get_leaderboard  # the API's own reads
from microtask.api.routes.workers import get_worker
from microtask.reputation import Board, Period
from microtask.web.app import PageDep
from microtask.web.render import PageContext

router = APIRouter(include_in_schema=False)
_address = TypeAdapter(Address)


def badge_words(ctx: PageContext) -> dict[str, tuple[str, str]]:
    _ = ctx.gettext
    return {
        "first-approved": (_("First approval"), _("Your first slot was approved and paid.")),
        "hundred-approved": (_("A hundred approved"), _("100 slots approved and paid.")),
        "streak-30": (_("30-day streak"), _("Approved work on 30 days in a row.")),
        "gold-99": (_("Gold standard"), _("99% gold accuracy or better over many gold items.")),
    }


@router.get("/profile", response_class=HTMLResponse, response_model=None)
def my_profile(ctx: PageDep) -> Response:
    if ctx.worker is not None:
        return RedirectResponse(f"/profile/{ctx.worker}", status_code=303)
    return ctx.render("profile.html", page="profile", title=ctx.gettext("Profile"), profile=None)


@router.get("/profile/{address}", response_class=HTMLResponse)
def profile(ctx: PageDep, address: str) -> HTMLResponse:
    _ = ctx.gettext
    try:
        checked = _address.validate_python(address)
    except ValidationError:
        return ctx.render(
            "missing.html",
            page="missing",
            title=_("Not an address"),
            status_code=404,
            message=_(
                "%(address)s is not an address (0x and 40 hex digits).", address=address[:60]
            ),
        )
    with ctx.state.sessions() as session:
        data = get_worker(checked, session, recent=0)
    return ctx.render(
        "profile.html",
        page="profile",
        title=_("Profile of %(address)s", address=checked),
        profile=data,
        badges=badge_words(ctx),
    )


@router.get("/leaders", response_class=HTMLResponse)
def leaders(ctx: PageDep) -> HTMLResponse:
    _ = ctx.gettext
    params = ctx.request.query_params
    by = params.get("by", "approved")
    board = Board(by) if by in {b.value for b in Board} else Board.APPROVED
    chosen_period = params.get("period", "")
    periods = {p.value for p in Period}
    period = Period(chosen_period) if chosen_period in periods else Period.WEEK
    tokens = {address: info for address, info in ctx.site.tokens.items()}
    token = params.get("token") if params.get("token") in tokens else None
    if board is Board.EARNINGS and token is None:
        token = next((a for a, info in tokens.items() if info.symbol != "ETH"), next(iter(tokens)))
    with ctx.state.sessions() as session:
        data = get_leaderboard(session, ctx.state, by=board, period=period, token=token, limit=20)
    return ctx.render(
        "leaders.html",
        page="leaders",
        title=_("Leaderboard"),
        board=data,
        chosen={"by": board.value, "period": period.value, "token": token or ""},
        boards={
            "approved": _("Approved slots"),
            "earnings": _("Earnings"),
            "accuracy": _("Gold accuracy"),
        },
        periods={
            "day": _("Today"),
            "week": _("This week"),
            "month": _("This month"),
            "all": _("All time"),
        },
    )
