"""The web app's languages: every message of the templates and the pages' code has a
translation in every catalog, with the same placeholders; the language is negotiated as
documented; amounts, numbers and dates follow the locale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from microtask.web.i18n import LANGUAGES, Formats, negotiate
from tests.conftest import REPO_ROOT

WEB = REPO_ROOT / "backend" / "microtask" / "web"
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def source_messages() -> set[str]:
    """Every message Babel finds in the templates and the web package's Python."""
    found: set[str] = set()
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for _, _, message, _, _ in extract_from_dir(
        str(WEB), method_map=method_map, options_map=options, keywords={"_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_message_is_translated_with_its_placeholders(language: str) -> None:
    path = WEB / "locales" / language / "LC_MESSAGES" / "messages.po"
    with Path(path).open("rb") as source:
        catalog = read_po(source, locale=language)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(source_messages() - set(translated))
    assert missing == [], f"untranslated in {language} (pybabel extract + update): {missing[:5]}"
    for message, translation in translated.items():
        assert sorted(PLACEHOLDER.findall(translation)) == sorted(PLACEHOLDER.findall(message)), (
            message,
            translation,
        )


def test_the_language_comes_from_the_switcher_the_cookie_then_the_browser() -> None:
    assert negotiate("ar", "es", "en") == "ar"
    assert negotiate(None, "es", "ar") == "es"
    assert negotiate("xx", None, "fr-CH, es-MX;q=0.8, ar;q=0.9") == "ar"
    assert negotiate(None, None, "es-MX") == "es"
    assert negotiate(None, None, "fr, de;q=0.5") == "en"
    assert negotiate(None, None, "ar;q=0, es;q=0.1") == "es"


def test_amounts_and_dates_follow_the_locale() -> None:
    assert Formats("en").amount(1_234_500_000, 6, "dUSD") == "1,234.5\u00a0dUSD"
    assert Formats("es").amount(1_234_500_000, 6, "dUSD") == "1.234,5\u00a0dUSD"
    assert Formats("en").amount(10**18 + 1, 18, "ETH") == "1.000000000000000001\u00a0ETH"
    assert Formats("ar").direction == "rtl"
    assert Formats("en").datetime(0).startswith("Jan 1, 1970")
    assert "ene" in Formats("es").datetime(0)
