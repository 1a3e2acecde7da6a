"""python-telegram-bot's HTTP calls over aiohttp instead of its default httpx.

Every answer to a person costs two or three Bot API calls (answer the tap, close the tapped
question, send the next one), so the HTTP client's own work is most of the bot's CPU under
load. httpx's pool scans every pooled connection on each request, which grows with the
crowd; aiohttp (already installed for the twilio client) hands out connections in constant
time and parses responses in C. `BaseRequest` is python-telegram-bot's documented way to plug
in another HTTP library; this class only translates timeouts, payloads and errors.
"""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_DEFAULT_READ = 5.0
_DEFAULT_CONNECT = 5.0
_DEFAULT_POOL = 1.0
_UPLOAD_TOTAL = 60.0
"""aiohttp has no write timeout: an upload (an .ics file) gets a limit on the whole call."""
_USER_AGENT = f"sportello aiohttp/{aiohttp.__version__}"


def _seconds(value: object, default: float | None) -> float | None:
    """A timeout python-telegram-bot passed (a number, None for "no limit", or its DEFAULT
    marker for "use yours")."""
    if value is None or isinstance(value, int | float):
        return value
    return default


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded pool of keep-alive connections to the Bot API."""

    def __init__(self, pool_size: int = 64, read_timeout: float | None = _DEFAULT_READ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": _USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        connect = _seconds(connect_timeout, _DEFAULT_CONNECT)
        pool = _seconds(pool_timeout, _DEFAULT_POOL)
        files = request_data is not None and request_data.contains_files
        timeout = aiohttp.ClientTimeout(
            # aiohttp's "connect" covers waiting for a pooled connection and opening one.
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=_seconds(read_timeout, self._read_timeout),
            total=_UPLOAD_TOTAL if files else None,
        )
        try:
            async with self._session.request(
                method, url, data=_payload(request_data), timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # The type only: some aiohttp messages quote the URL, which carries the bot token.
            raise NetworkError(f"aiohttp.{type(exc).__name__}") from exc


def _payload(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as python-telegram-bot encodes them; multipart when a file goes along."""
    if request_data is None:
        return None
    if not request_data.contains_files:
        return request_data.json_parameters
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
