"""Settings problems are reported all at once, each saying what to fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import SettingsError
from bot.settings_loading import EXAMPLE_CONFIG, load_settings


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


WHATSAPP = {
    "TWILIO_ACCOUNT_SID": "ACx",
    "TWILIO_AUTH_TOKEN": "t",
    "TWILIO_WHATSAPP_NUMBER": "+390583000000",
}


def config_with(tmp_path: Path, extra: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(EXAMPLE_CONFIG.read_text() + extra)
    return str(path)


def test_a_plain_http_public_url_is_refused() -> None:
    found = problems(PUBLIC_URL="http://sportello.comune.lucca.it", **WHATSAPP)
    assert [p for p in found if p.startswith("PUBLIC_URL:")] == [
        "PUBLIC_URL: 'http://sportello.comune.lucca.it' must start with https://, since Telegram "
        "and Twilio deliver webhooks only over https; plain http is accepted only for localhost "
        "or 127.0.0.1 (local trials)."
    ]


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:8080/", "http://[::1]"])
def test_loopback_http_stays_allowed_for_local_trials(url: str) -> None:
    settings = load_settings(environ={"PUBLIC_URL": url, **WHATSAPP}, dotenv=None)
    assert settings.public_url == url.rstrip("/")


@pytest.mark.parametrize(
    "sid",
    [
        "HX...",
        "HXreminder0000000000000000000000",
        "HX" + "A" * 32,
        "HX" + "a" * 31,
        "MX" + "a" * 32,
    ],
)
def test_content_sids_twilio_would_refuse_are_problems(tmp_path: Path, sid: str) -> None:
    extra = f'\n[whatsapp.templates]\nreminder = "{sid}"\n[whatsapp.quick_replies]\n"3" = "{sid}"\n'
    found = problems(
        SPORTELLO_CONFIG=config_with(tmp_path, extra), PUBLIC_URL="https://x.example", **WHATSAPP
    )
    advice = f"'{sid}' is not a Content template SID: \"HX\" followed by 32 hex digits"
    assert [p.split(": ", 1)[0] for p in found if advice in p] == [
        "[whatsapp.templates] reminder",
        "[whatsapp.quick_replies] 3",
    ]


def test_good_content_sids_are_read(tmp_path: Path) -> None:
    sid = "HX" + "0123456789abcdef" * 2
    extra = f'\n[whatsapp.templates]\nreminder = "{sid}"\n[whatsapp.quick_replies]\n"2" = "{sid}"\n'
    settings = load_settings(
        environ={
            "SPORTELLO_CONFIG": config_with(tmp_path, extra),
            "PUBLIC_URL": "https://x.example",
            **WHATSAPP,
        },
        dotenv=None,
    )
    assert settings.twilio is not None
    assert settings.twilio.templates == {"reminder": {"it": sid}}
    assert settings.twilio.quick_replies == {2: sid}


def test_templates_per_language(tmp_path: Path) -> None:
    it, ro = "HX" + "0" * 32, "HX" + "1" * 32
    extra = f'\n[whatsapp.templates.reminder]\nit = "{it}"\nro = "{ro}"\n'
    settings = load_settings(
        environ={
            "SPORTELLO_CONFIG": config_with(tmp_path, extra),
            "PUBLIC_URL": "https://x.example",
            **WHATSAPP,
        },
        dotenv=None,
    )
    assert settings.twilio is not None
    assert settings.twilio.templates == {"reminder": {"it": it, "ro": ro}}


def test_a_template_in_a_language_not_shipped_is_refused(tmp_path: Path) -> None:
    extra = f'\n[whatsapp.templates.reminder]\nde = "HX{"0" * 32}"\n'
    with pytest.raises(SettingsError) as caught:
        load_settings(
            environ={
                "SPORTELLO_CONFIG": config_with(tmp_path, extra),
                "PUBLIC_URL": "https://x.example",
                **WHATSAPP,
            },
            dotenv=None,
        )
    assert "de" in str(caught.value)


def test_the_demo_contacts_are_a_warning_not_a_problem() -> None:
    demo = load_settings(environ={}, dotenv=None)
    assert [w.split(":")[0] for w in demo.warnings] == [
        "SPORTELLO_DESK_EMAIL",
        "SPORTELLO_DPO_EMAIL",
    ]
    real = load_settings(
        environ={
            "SPORTELLO_DESK_EMAIL": "sportello.lavoro@comune.lucca.it",
            "SPORTELLO_DPO_EMAIL": "dpo@comune.lucca.it",
        },
        dotenv=None,
    )
    assert real.warnings == ()


def test_check_shows_the_warnings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [
        n
        for n in os.environ
        if n.startswith(("SPORTELLO_", "TELEGRAM_", "TWILIO_", "ZOOM_", "PUBLIC_URL"))
    ]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SPORTELLO_DATABASE", str(tmp_path / "s.db"))
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert (
        "Warning: SPORTELLO_DESK_EMAIL: 'sportello.lavoro@example.org' is the demo address" in out
    )


def test_a_bad_value_does_not_hide_the_other_problems() -> None:
    # The number is bad, not missing: no false "needs all three", and the webhook secret
    # problem still shows up next to it.
    found = problems(
        TELEGRAM_BOT_TOKEN="123456:ABCDEFGHIJKLMNOP",
        PUBLIC_URL="https://x.example",
        TWILIO_ACCOUNT_SID="ACx",
        TWILIO_AUTH_TOKEN="t",
        TWILIO_WHATSAPP_NUMBER="12",
    )
    assert [p.split(":")[0] for p in found] == ["TWILIO_WHATSAPP_NUMBER", "TELEGRAM_WEBHOOK_SECRET"]
