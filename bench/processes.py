"""The servers a benchmark measures: `sportello run` (or a baseline) in its own process, with
only the settings the benchmark gives it, and its CPU and memory read from /proc (Linux)."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT

CONFIG = ROOT / "config" / "example.toml"
_OUR_SETTINGS = ("TELEGRAM_", "TWILIO_", "PUBLIC_URL", "SPORTELLO_", "ZOOM_")


@dataclass
class Child:
    """A server process under measurement (Linux: CPU and memory come from /proc)."""

    process: asyncio.subprocess.Process
    spawned: float
    """time.time() just before the process was created."""
    log: Path
    name: str

    def cpu_seconds(self) -> float:
        """user + sys time of the process so far, all its threads included."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()  # fields[0] is field 3 of proc(5)
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def alive(self) -> bool:
        return self.process.returncode is None

    def failure(self, what: str) -> RuntimeError:
        tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        return RuntimeError(f"{self.name}: {what}; its output ends with:\n{tail}")

    async def stop(self) -> None:
        """SIGTERM, then wait for a clean exit (a non-zero status is an error)."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout=60)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
                raise self.failure("did not stop within 60 s of SIGTERM") from None
        if self.process.returncode != 0:
            raise self.failure(f"exited with status {self.process.returncode}")


def server_env(**settings: str) -> dict[str, str]:
    """This environment without any of the bot's settings, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OUR_SETTINGS)}
    env.update(settings)
    return env


def bot_env(database: Path | str, **settings: str) -> dict[str, str]:
    return server_env(
        SPORTELLO_DATABASE=str(database),
        SPORTELLO_CONFIG=str(CONFIG),
        SPORTELLO_LOG_LEVEL="WARNING",
        **settings,
    )


def bot_args(folder: Path, command: Sequence[str] = ("-m", "bot")) -> list[str]:
    """`sportello run`, reading no .env file (the bench's settings come from the environment)."""
    return [*command, "--env-file", str(folder / "no.env"), "run"]


async def spawn(name: str, args: Sequence[str], env: dict[str, str], folder: Path) -> Child:
    """`python *args` from the project's folder (as `sportello run` is started there), its
    output to a log file in ``folder``."""
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        spawned = time.time()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
    return Child(process, spawned, log, name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class MachineCpu:
    """The machine's CPU time so far, all cores (/proc/stat, in clock ticks)."""

    busy: int
    total: int

    def busy_since(self, before: MachineCpu) -> float:
        """The share of the machine's cores that were busy since ``before`` (0 to 1)."""
        total = self.total - before.total
        return (self.busy - before.busy) / total if total else 0.0


def machine_cpu() -> MachineCpu:
    ticks = [
        int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]
    ]  # guest time is in user already
    idle = ticks[3] + ticks[4]  # idle and iowait
    return MachineCpu(sum(ticks) - idle, sum(ticks))


def command_cpu_seconds(command: str) -> float:
    """user + sys time so far of every live process named ``command`` (PostgreSQL's server and
    its backends: the pools keep theirs for the whole load)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        name, _, rest = text.partition(" (")[2].rpartition(")")
        if name == command:
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")
