"""Settings problems are reported all at once, each saying what to fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


def problems(**environ: str) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ=environ, dotenv=None)
    return caught.value.problems


def test_webhook_mode_needs_a_telegram_secret() -> None:
    found = problems(TELEGRAM_BOT_TOKEN="123456:ABCDEFGHIJKLMNOP", PUBLIC_URL="https://x.example")
    assert any(p.startswith("TELEGRAM_WEBHOOK_SECRET:") for p in found)


def test_whatsapp_needs_all_three_and_a_public_url() -> None:
    assert any("WhatsApp needs all three" in p for p in problems(TWILIO_ACCOUNT_SID="ACx"))
    found = problems(
        TWILIO_ACCOUNT_SID="ACx", TWILIO_AUTH_TOKEN="t", TWILIO_WHATSAPP_NUMBER="+390583000000"
    )
    assert any(p.startswith("PUBLIC_URL:") for p in found)


def test_several_problems_at_once() -> None:
    found = problems(
        SPORTELLO_PORT="99999",
        TWILIO_ACCOUNT_SID="ACx",
        TWILIO_AUTH_TOKEN="t",
        TWILIO_WHATSAPP_NUMBER="12",
        PUBLIC_URL="https://x.example",
    )
    assert any(p.startswith("SPORTELLO_PORT:") for p in found)
    assert any(p.startswith("TWILIO_WHATSAPP_NUMBER:") for p in found)


def test_dotenv_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SPORTELLO_DESK_PHONE=+39 0583 111111\nSPORTELLO_LANGUAGE=en\n")
    settings = load_settings(environ={"SPORTELLO_LANGUAGE": "it"}, dotenv=env_file)
    assert settings.desk.phone == "+39 0583 111111"
    assert settings.default_language == "it"


def test_secrets_stay_out_of_repr() -> None:
    settings = load_settings(
        environ={"TELEGRAM_BOT_TOKEN": "123456:SECRETSECRETSECRET"}, dotenv=None
    )
    assert "SECRETSECRET" not in repr(settings)


def test_settings_depend_on_neither_booking_nor_storage() -> None:
    # Dependencies point one way: booking and storage may read settings, never the reverse.
    code = "import sys, bot.settings; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "bot.booking" not in loaded
    assert not [name for name in loaded if name == "storage" or name.startswith("storage.")]
