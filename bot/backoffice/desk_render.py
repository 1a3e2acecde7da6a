"""Pages from Jinja2 templates, in the reader's language (the same gettext catalogs as the
chat; dates through Babel in Europe/Rome)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from bot.i18n import Translator

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
LANGUAGES = {"it": "Italiano", "en": "English"}
DEFAULT_LANGUAGE = "it"

_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(("html",)),
    trim_blocks=True,
    lstrip_blocks=True,
)


def moment_filter(translator: Translator) -> Any:
    def show(moment: datetime | None) -> str:
        return translator.minute(moment) if moment is not None else ""

    return show


def render(template: str, translator: Translator, status: int = 200, **values: Any) -> HTMLResponse:
    page = _ENV.get_template(template).render(
        tr=translator.tr,
        trn=translator.trn,
        when=moment_filter(translator),
        lang=translator.language,
        languages=LANGUAGES,
        **values,
    )
    return HTMLResponse(page, status_code=status)
