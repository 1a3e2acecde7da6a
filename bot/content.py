"""Content the desk edits without touching code: sectors and skills, the privacy notice."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bot.i18n import SHIPPED_LANGUAGES
from bot.settings import Settings

SECTORS_FILE = Path(__file__).resolve().parent / "data" / "sectors.toml"
ESCO_ISCO = "http://data.europa.eu/esco/isco/C"  # + an ISCO-08 code: ESCO's concept for it


def isco_uri(code: str) -> str:
    """The ESCO URI of an ISCO-08 group, as exchanged with EURES."""
    return ESCO_ISCO + code


@dataclass(frozen=True)
class Skill:
    id: str
    label: str  # English message id, translated when shown
    esco: str | None = None  # the ESCO skill's URI, where one clearly corresponds


@dataclass(frozen=True)
class Sector:
    id: str
    label: str
    skills: tuple[Skill, ...]
    isco: tuple[str, ...] = ()  # ISCO-08 unit groups of the sector's typical occupations


@dataclass(frozen=True)
class Notice:
    """The full information notice (GDPR art. 13), one text per language, one version."""

    version: str
    texts: dict[str, str]

    def text(self, language: str) -> str:
        return self.texts[language]


@dataclass(frozen=True)
class Content:
    sectors: tuple[Sector, ...]
    notice: Notice

    def sector(self, sector_id: str) -> Sector | None:
        return next((s for s in self.sectors if s.id == sector_id), None)

    def skill_label(self, skill_id: str) -> str | None:
        sector = self.sector(skill_id.split(".", 1)[0])
        found = sector and next((k for k in sector.skills if k.id == skill_id), None)
        return found.label if found else None


class ContentError(Exception):
    pass


def load_sectors(path: Path = SECTORS_FILE) -> tuple[Sector, ...]:
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    return tuple(
        Sector(
            id=s["id"],
            label=s["label"],
            skills=tuple(
                Skill(id=k["id"], label=k["label"], esco=k.get("esco")) for k in s.get("skill", [])
            ),
            isco=tuple(s.get("isco", ())),
        )
        for s in raw["sector"]
    )


def _read_notice(path: Path, settings: Settings) -> tuple[str, str]:
    if not path.is_file():
        raise ContentError(f"The privacy notice {path} is missing ([privacy] notice_dir).")
    head, _, body = path.read_text(encoding="utf-8").partition("\n")
    if not head.startswith("version:"):
        raise ContentError(f"{path}: the first line must be 'version: <date or number>'.")
    desk = settings.desk
    try:
        text = body.strip().format(
            dpo_email=desk.dpo_email,
            desk_email=desk.email,
            desk_phone=desk.phone,
            desk_address=desk.address,
        )
    except (KeyError, IndexError, ValueError) as exc:
        raise ContentError(
            f"{path}: unknown placeholder {exc}; use only {{dpo_email}}, {{desk_email}}, "
            "{desk_phone} and {desk_address}."
        ) from exc
    return head.removeprefix("version:").strip(), text


def load_notice(settings: Settings) -> Notice:
    versions, texts = set(), {}
    for language in SHIPPED_LANGUAGES:
        path = settings.privacy_notice_dir / f"notice.{language}.txt"
        version, texts[language] = _read_notice(path, settings)
        versions.add(version)
    if len(versions) != 1:
        raise ContentError(
            "The privacy notices carry different versions; give every language the same "
            f"'version:' line (found {', '.join(sorted(versions))})."
        )
    return Notice(version=versions.pop(), texts=texts)


def load_content(settings: Settings) -> Content:
    return Content(sectors=load_sectors(), notice=load_notice(settings))


def extract_sectors(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor: sector and skill labels become messages for the catalogs."""
    raw = tomllib.loads(fileobj.read().decode("utf-8"))
    for sector in raw["sector"]:
        yield 0, "", sector["label"], [f"sector {sector['id']}"]
        for skill in sector.get("skill", []):
            yield 0, "", skill["label"], [f"skill {skill['id']}"]
