"""`sportello run` as an administrator starts it: the real process, Telegram long polling
against the fake Bot API, a clean stop on SIGTERM, and no secret or personal data in its log."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fakes.telegram_api import FakeTelegram


async def test_run_serves_telegram_and_stops_cleanly(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        env = {
            **os.environ,
            "SPORTELLO_DATABASE": str(tmp_path / "s.db"),
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_URL": fake.url,
            "SPORTELLO_LOG_LEVEL": "DEBUG",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        try:
            fake.send_text(5550123, "/start", language_code="it", first_name="Gianna")
            first = await fake.next_message(5550123, timeout=60)
            assert "Sportello Lavoro" in first["text"]
            fake.send_text(5550123, "Mi chiamo Gianna, cerco lavoro", language_code="it")
            await fake.wait_for(
                lambda calls: sum(c.method == "sendMessage" for c in calls) >= 4, timeout=30
            )
            assert [c["command"] for c in fake.my_commands("it")][:2] == ["start", "aiuto"]
        finally:
            process.send_signal(signal.SIGTERM)
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, stderr.decode()
        log = stdout.decode() + stderr.decode()
        assert "Telegram long polling started" in log
        for secret_or_personal in (fake.token, "TEST-fake-token", "5550123", "Gianna", "cerco"):
            assert secret_or_personal not in log, secret_or_personal
