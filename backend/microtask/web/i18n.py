"""Languages: gettext catalogs (Babel), the page's language, and formats for its locale.

Every string a page shows goes through gettext; the catalogs are the ``.po`` files under
``locales/`` (compiled in memory when first used, so no binary ``.mo`` lives in git).
English is the source language. The language is, in order: ``?lang=`` (the switcher, which
also sets a cookie), the ``lang`` cookie, the browser's ``Accept-Language``, English.
Numbers, dates and token amounts are formatted for the locale by Babel; Arabic is written
right to left, so pages carry ``dir``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Final

from babel import Locale
from babel.dates import format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

LANGUAGES: Final = {"en": "English", "es": "Español", "ar": "العربية"}
"""Each language in its own name (the switcher shows them so)."""
RIGHT_TO_LEFT: Final = frozenset({"ar"})
DEFAULT: Final = "en"
COOKIE: Final = "lang"


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The page's language from the switcher, the cookie, then the browser's preferences."""
    for chosen in (query, cookie):
        if chosen in LANGUAGES:
            return chosen
    preferences: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        weight = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag:
            preferences.append((-weight, position, tag))
    for weight, _, tag in sorted(preferences):
        if weight == 0:
            continue
        base = tag.split("-")[0]
        if base in LANGUAGES:
            return base
    return DEFAULT


@cache
def translations(language: str) -> Translations:
    """The catalog of ``language`` (English: the source strings themselves)."""
    if language == DEFAULT:
        return Translations()
    path = resources.files("microtask.web").joinpath(
        "locales", language, "LC_MESSAGES", "messages.po"
    )
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled)


@dataclass(frozen=True)
class Formats:
    """Numbers, amounts, dates and durations in one locale."""

    language: str

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.language)

    @property
    def direction(self) -> str:
        return "rtl" if self.language in RIGHT_TO_LEFT else "ltr"

    def number(self, value: int | float | Decimal) -> str:
        return str(format_decimal(value, locale=self.locale))

    def percent(self, value: float) -> str:
        return str(format_percent(value, locale=self.locale))

    def basis_points(self, bps: int) -> str:
        """A rate in basis points as a percentage with every digit it has (2.35%)."""
        return str(format_percent(Decimal(bps) / 10_000, "#,##0.##%", locale=self.locale))

    def amount(self, value: int, decimals: int, symbol: str) -> str:
        """A token amount (smallest units) in the token's units: every significant digit."""
        units = Decimal(value).scaleb(-decimals) if decimals else Decimal(value)
        text = format_decimal(units, format="#,##0." + "#" * max(decimals, 1), locale=self.locale)
        return f"{text}\u00a0{symbol}"

    def datetime(self, seconds: int) -> str:
        """Chain time, in UTC (chain clocks are UTC), as the locale writes it."""
        moment = datetime.fromtimestamp(seconds, UTC)
        return f"{format_datetime(moment, format='medium', tzinfo=UTC, locale=self.locale)} UTC"

    def iso(self, seconds: int) -> str:
        return datetime.fromtimestamp(seconds, UTC).isoformat()

    def duration(self, seconds: int) -> str:
        return str(format_timedelta(seconds, threshold=1.1, locale=self.locale))
