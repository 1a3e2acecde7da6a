"""Phone numbers: the one place that parses them, so every channel agrees on their form."""

from __future__ import annotations

import phonenumbers


def e164_number(text: str) -> str | None:
    """'+39 0583 000000' or 'whatsapp:+390583000000' -> '+390583000000'; None if invalid."""
    try:
        parsed = phonenumbers.parse(text.removeprefix("whatsapp:").strip(), None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
