"""An inbound event made safe to store, and where an error happened, told without the
person's words."""

from __future__ import annotations

import traceback
from dataclasses import replace
from pathlib import Path

from bot.domain import Inbound
from bot.terminal import without_controls

PROJECT_ROOT = str(Path(__file__).resolve().parents[2])


def where(exc: BaseException) -> str:
    """The innermost frames of our own code an exception went through: enough to find the
    bug, without the exception's message (which may carry what the person wrote)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(PROJECT_ROOT) and ".venv" not in f.filename]
    chosen = ours[-3:] or frames[-1:]
    return " < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(chosen))


def _valid_text(value: object) -> str:
    """Text that can be stored: platform fields of the wrong type become empty, and invalid
    Unicode (lone surrogates from badly encoded input) becomes replacement characters."""
    if not isinstance(value, str):
        return ""
    return value.encode("utf-8", errors="replace").decode("utf-8")


def clean(event: Inbound) -> Inbound:
    hint = event.language_hint if isinstance(event.language_hint, str) else None
    return replace(
        event,
        external_id=_valid_text(event.external_id),
        text=without_controls(_valid_text(event.text)),
        data=_valid_text(event.data),
        language_hint=hint,
        dedupe_key=_valid_text(event.dedupe_key) if event.dedupe_key is not None else None,
        profile_name=without_controls(_valid_text(event.profile_name)) or None,
    )
