"""Rendering a page: the language, the Jinja2 environment for it, and the security headers.

One Jinja2 environment per language, each with its catalog installed (Jinja's i18n
extension, new-style gettext: ``_("%(n)s left", n=3)``), autoescaping on. Every page gets
the same headers: a Content-Security-Policy that runs no inline script and no ``eval``
(all script comes from the bundle, nonce-less), loads images and media only from this
origin, and connects only here (plus, on a development chain, the node the development
accounts live on); no framing; no sniffing; no referrer to other sites.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final
from urllib.parse import urlsplit

from eth_utils.address import is_address, to_checksum_address
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from microtask.api.queries import chain_now
from microtask.api.state import ApiState
from microtask.web import i18n
from microtask.web.assets import Assets
from microtask.web.markdown import render_markdown
from microtask.web.roles import Roles, roles_of
from microtask.web.site import Site
from microtask.web.strings import script_strings

WORKER_COOKIE: Final = "mt_worker"
NAVIGATION: Final = (
    ("tasks", "/"),
    ("work", "/my-work"),
    ("earnings", "/earnings"),
    ("profile", "/profile"),
    ("leaders", "/leaders"),
    ("new", "/requester/new"),
)
REQUESTER_NAVIGATION: Final = (("requests", "/my-tasks"),)
"""The requester's pages, after the worker's."""
ROLE_NAVIGATION: Final = (
    ("operator", "/operator", "owner"),
    ("arbitrate", "/arbitrate", "arbitrator"),
)
"""Pages linked only for the addresses with that role (`roles.Roles`)."""


def content_security_policy(site: Site, frames: tuple[str, ...] = ()) -> str:
    """The page's policy; ``frames`` are the sources its frames may load (an MTurk
    question's: `microtask.web.pages.mturk`), none by default."""
    connect = ["'self'"]
    if site.dev_accounts and site.rpc_url:
        parts = urlsplit(site.rpc_url)
        connect.append(f"{parts.scheme}://{parts.netloc}")
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "media-src 'self'",
            f"connect-src {' '.join(connect)}",
            f"frame-src {' '.join(frames)}" if frames else "frame-src 'none'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "manifest-src 'self'",
        ]
    )


class Renderer:
    """Templates per language and the page response around them."""

    def __init__(self, assets: Assets) -> None:
        self.assets = assets
        self._environments: dict[str, Environment] = {}

    def environment(self, language: str) -> Environment:
        if language not in self._environments:
            environment = Environment(
                loader=PackageLoader("microtask.web", "templates"),
                autoescape=select_autoescape(default=True, default_for_string=True),
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            environment.install_gettext_translations(  # type: ignore[attr-defined]
                i18n.translations(language), newstyle=True
            )
            environment.filters["markdown"] = render_markdown
            self._environments[language] = environment
        return self._environments[language]


@dataclass
class PageContext:
    """One request as the pages see it: language, formats, worker, the deployment."""

    request: Request
    site: Site
    state: ApiState
    renderer: Renderer

    @cached_property
    def language(self) -> str:
        return i18n.negotiate(
            self.request.query_params.get("lang"),
            self.request.cookies.get(i18n.COOKIE),
            self.request.headers.get("accept-language"),
        )

    @cached_property
    def formats(self) -> i18n.Formats:
        return i18n.Formats(self.language)

    @cached_property
    def translations(self) -> Any:
        return i18n.translations(self.language)

    def gettext(self, message: str, **values: Any) -> str:
        text = str(self.translations.gettext(message))
        return text % values if values else text

    @cached_property
    def worker(self) -> str | None:
        """The connected wallet's address, which the script keeps in a cookie (a view
        preference only: nothing changes state without the wallet's signature)."""
        value = self.request.cookies.get(WORKER_COOKIE, "")
        return str(to_checksum_address(value)) if is_address(value) else None

    @cached_property
    def roles(self) -> Roles:
        """The connected address's roles (which extra pages the header links to)."""
        return roles_of(self.state, self.worker)

    @property
    def navigation(self) -> tuple[tuple[str, str], ...]:
        extra = tuple(
            (name, href) for name, href, role in ROLE_NAVIGATION if getattr(self.roles, role)
        )
        return NAVIGATION + REQUESTER_NAVIGATION + extra

    @cached_property
    def now(self) -> int:
        with self.state.sessions() as session:
            return chain_now(session, self.state.clock())

    @property
    def partial(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    def amount(self, value: int | str, token: str) -> str:
        info = self.site.token(token)
        if info is None:
            return self.formats.amount(int(value), 0, f"{token[:6]}…")
        return self.formats.amount(int(value), info.decimals, info.symbol)

    def symbol(self, token: str) -> str:
        info = self.site.token(token)
        return info.symbol if info else f"{token[:6]}…"

    def render(
        self,
        template: str,
        *,
        page: str,
        title: str,
        data: dict[str, Any] | None = None,
        status_code: int = 200,
        frames: tuple[str, ...] = (),
        **context: Any,
    ) -> HTMLResponse:
        config = {
            "page": page,
            "locale": self.language,
            "network": self.site.network,
            "chainId": self.site.chain_id,
            "chainName": self.site.chain_name,
            "escrow": self.site.escrow,
            "rpcUrl": self.site.rpc_url if self.site.dev_accounts else None,
            "devAccounts": self.site.dev_accounts,
            "chainNow": self.now,
            "tokens": {
                address.lower(): {"symbol": info.symbol, "decimals": info.decimals}
                for address, info in self.site.tokens.items()
            },
            "strings": script_strings(lambda message: self.gettext(message)),
            "data": data or {},
        }
        assets = self.renderer.assets
        html = (
            self.renderer.environment(self.language)
            .get_template(template)
            .render(
                ctx=self,
                page=page,
                title=title,
                language=self.language,
                direction=self.formats.direction,
                languages=i18n.LANGUAGES,
                navigation=self.navigation,
                worker=self.worker,
                config=Markup(json.dumps(config).replace("<", "\\u003c")),  # noqa: S704 (JSON, < escaped)
                script=f"/assets/{assets.entry}" if assets.entry else None,
                preloads=[f"/assets/{name}" for name in assets.preloads()],
                stylesheet=assets.stylesheet,
                fmt=self.formats,
                **context,
            )
        )
        response = HTMLResponse(html, status_code=status_code)
        headers = response.headers
        headers["Content-Security-Policy"] = content_security_policy(self.site, frames)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["Content-Language"] = self.language
        headers["Vary"] = "Accept-Language, Cookie, HX-Request"
        headers["Cache-Control"] = "no-store"
        if self.request.query_params.get("lang") in i18n.LANGUAGES:
            response.set_cookie(
                i18n.COOKIE, self.language, max_age=365 * 24 * 3600, samesite="lax", path="/"
            )
        return response
