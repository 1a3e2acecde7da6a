"""Splitting long texts for platforms with a length limit (Telegram 4096, WhatsApp 1600)."""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, line or sentence boundaries
    where possible, so a long notice arrives as readable messages."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for unit in _units(text, limit):
        joined = f"{current}\n{unit}" if current else unit
        if len(joined) <= limit:
            current = joined
        else:
            pieces.append(current)
            current = unit
    if current:
        pieces.append(current)
    return [p for p in pieces if p.strip()] or [text[:limit]]


def _units(text: str, limit: int) -> list[str]:
    units: list[str] = []
    for line in text.split("\n"):
        if len(line) <= limit:
            units.append(line)
            continue
        for sentence in SENTENCE_END.split(line):
            while len(sentence) > limit:
                units.append(sentence[:limit])
                sentence = sentence[limit:]
            units.append(sentence)
    return units
