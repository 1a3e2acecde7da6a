"""Pacing sends to a platform's limit: the one rate limiter everything sending later uses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class RateLimiter:
    """Spaces sends evenly at `rate` per second; `wait()` returns when the next one may go.

    Even spacing (rather than bursts) keeps us under a platform's sliding-window limit without
    ever being told "429". The clock and the sleep are injectable so tests run instantly.
    """

    def __init__(
        self,
        rate: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = 1.0 / rate
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = self._monotonic()
            if self._next > now:
                await self._sleep(self._next - now)
                now = self._next
            self._next = now + self.interval

    def share(self, senders: int) -> None:
        """`senders` processes send to the same platform account: this one keeps to its part."""
        self.interval = max(1, senders) / self.rate

    def pause(self, seconds: float) -> None:
        """The platform asked us to wait (a 429 with retry_after): nobody sends before then."""
        self._next = max(self._next, self._monotonic() + seconds)
