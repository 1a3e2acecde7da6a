"""Lint and type checks are part of the one test command, so CI enforces them too."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_lint() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_sql_outside_storage() -> None:
    """SQL lives only in storage/: flows and channels speak to repositories."""
    offenders = []
    for folder in ("bot", "scheduling"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if any(
                word in text for word in ("SELECT ", "INSERT INTO", "UPDATE people", "DELETE FROM")
            ):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


def test_flows_import_no_platform_sdk() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "bot" / "flows").rglob("*.py")
        if any(
            f"import {sdk}" in path.read_text() or f"from {sdk}" in path.read_text()
            for sdk in ("telegram", "twilio")
        )
    ]
    assert not offenders


def test_no_translated_message_inside_an_f_string() -> None:
    """Babel's extractor does not look inside f-strings: a message there would silently stay
    untranslated."""
    # A call with a literal message inside the braces of an f-string.
    pattern = re.compile(r"""f["'][^"']*\{[^}]*\b(?:tr|trn|N_)\(\s*["']""")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "bot").rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders
