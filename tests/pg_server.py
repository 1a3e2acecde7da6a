"""A throwaway PostgreSQL server for the tests: Debian's server binaries, a cluster made with
initdb in a temporary folder (as the `postgres` user when we run as root, since the server
refuses root), listening on a unix socket only. One database is migrated once and used as
the template of each test's own database (CREATE DATABASE ... TEMPLATE is a file copy).

In CI (CI=true) a server that cannot start is a failure, never a skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import asyncpg

from storage.pg_db import PgDatabase

TEMPLATE = "sportello_template"
SERVER_USER = "postgres"
# Durability is not what these tests check; fsync off makes each test's database cheap.
SERVER_OPTIONS = (
    "-c listen_addresses='' -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB"
)


class ServerUnavailable(Exception):
    pass


def binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    return Path(found[-1]).parent if found else None


def _version(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


class Server:
    def __init__(self) -> None:
        self.bin = binaries()
        if self.bin is None:
            raise ServerUnavailable(
                "PostgreSQL's server is not installed (apt-get install postgresql)"
            )
        self.folder = Path(tempfile.mkdtemp(prefix="sportello-pg-"))
        self.data = self.folder / "data"
        self.socket = self.folder
        self._names = itertools.count(1)
        self._user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(SERVER_USER)
            except KeyError as exc:
                raise ServerUnavailable("no `postgres` user to run the server as") from exc
            self._user = SERVER_USER
            shutil.chown(self.folder, SERVER_USER)
        self.role = self._user or pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *argv: str) -> None:
        try:
            subprocess.run(
                argv, check=True, capture_output=True, text=True, user=self._user, timeout=120
            )
        except subprocess.CalledProcessError as exc:
            raise ServerUnavailable(f"{argv[0]} failed: {exc.stderr.strip()}") from exc

    def start(self) -> None:
        assert self.bin is not None
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "--auth=trust",
            "--locale=C",
            "--encoding=UTF8",
            "-U",
            self.role,
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-o",
            f"{SERVER_OPTIONS} -k {self.socket}",
            "start",
        )

    def restart(self) -> None:
        """Stop the server (every connection is cut) and start it again."""
        assert self.bin is not None
        log = str(self.folder / "server.log")  # not our pipe, which it would keep open
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", log, "-m", "fast", "-w", "restart"
        )

    def halt(self) -> None:
        """Stop the server as `restart` does, until `resume`."""
        assert self.bin is not None
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        assert self.bin is not None
        log = str(self.folder / "server.log")
        options = f"{SERVER_OPTIONS} -k {self.socket}"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", log, "-o", options, "-w", "start"
        )

    def stop(self) -> None:
        assert self.bin is not None
        with contextlib.suppress(ServerUnavailable, subprocess.TimeoutExpired):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://{self.role}@/{database}?host={self.socket}"

    async def _admin(self, *statements: str) -> None:
        conn = await asyncpg.connect(self.url("postgres"))
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    async def make_template(self) -> None:
        await self._admin(f"CREATE DATABASE {TEMPLATE}")
        db = await PgDatabase.connect(self.url(TEMPLATE))
        await db.close()

    async def new_database(self, *, migrated: bool = True) -> str:
        """The URL of a new, empty database (with the schema, unless `migrated` is False)."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        template = TEMPLATE if migrated else "template0"
        # FILE_COPY: a copy of the template's files, far faster than WAL_LOG for small ones.
        await self._admin(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
        return self.url(name)

    async def drop(self, url: str) -> None:
        name = urlparse(url).path.strip("/")
        await self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def start_server() -> Server:
    server = Server()
    try:
        server.start()
        # On a thread of its own: the caller may be inside a running event loop.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, server.make_template()).result()
    except BaseException:
        server.stop()
        raise
    return server
