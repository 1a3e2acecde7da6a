"""One process serves a database file: a second `sportello run` or `chat` is refused with a
clear message, admin commands and backups still work beside it, and kill -9 leaves no lock."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.test_console import sportello, start_chat


async def test_a_second_server_is_refused_and_a_killed_one_leaves_no_lock(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    first = await start_chat(db, asyncio.subprocess.DEVNULL)
    try:
        for command in ("chat", "run"):
            second = await asyncio.to_thread(sportello, db, command, stdin="2\n")
            assert second.returncode == 2
            assert f"another sportello process (pid {first.pid}) is already serving" in (
                second.stderr
            )
            assert "Traceback" not in second.stderr
            assert "Which language" not in second.stdout, "it must not start talking"
        listing = await asyncio.to_thread(sportello, db, "outbox", stdin="")
        assert listing.returncode == 0, listing.stderr
        copy = await asyncio.to_thread(sportello, db, "backup", str(tmp_path / "copy.db"), stdin="")
        assert copy.returncode == 0, copy.stderr
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()

    again = await asyncio.to_thread(sportello, db, "chat", stdin="2\n")
    assert again.returncode == 0, again.stderr
    assert "I accept" in again.stdout
