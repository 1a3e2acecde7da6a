"""Control characters: removed from what people type, made visible in what the command
line prints, so a name can never move the cursor, recolour or retitle an admin's terminal."""

from __future__ import annotations

import argparse
import re
import unicodedata
from datetime import date

from bot.clock import read_day

# ESC sequences: CSI (ESC [ ... final), OSC and the other string commands (ended by BEL or
# ESC \, or by nothing if cut short), and two-character escapes.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[ -~]?"
)
# C0 and C1 controls and DEL, but not newline and tab.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def without_controls(text: str) -> str:
    """What a person typed, minus terminal escape sequences and control characters
    (Unicode category Cc) other than newline and tab."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def _visible(char: str) -> str:
    if char == "\t":
        return char
    category = unicodedata.category(char)
    # Cc: controls; Cf includes the bidirectional overrides that reorder what is shown;
    # Zl and Zp break the line.
    if category in ("Cc", "Cf", "Zl", "Zp") and char != "\u200d":  # ZWJ joins emoji
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    return char


def shown(line: str) -> str:
    """A line for the terminal: every control or format character written as an escape."""
    if line.isprintable():
        return line
    return "".join(_visible(char) for char in line)


def calendar_day(text: str) -> date:
    """A day typed on the command line, year-month-day or day/month/year; a plain refusal."""
    day = read_day(text)
    if day is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a day of the calendar: write year-month-day, like 2026-12-09"
        )
    return day
