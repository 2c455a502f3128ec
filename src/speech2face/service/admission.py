"""Admission control: a few faces drawn at once, a bounded queue, and 503 past it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Overloaded(Exception):
    """More requests are in the service than it has slots and queue places for."""


class Admission:
    def __init__(self, slots: int, waiting: int):
        self.capacity = slots + waiting
        self.admitted = 0
        self._slots = slots
        self._semaphore: asyncio.Semaphore | None = None  # made in the server's event loop

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """Hold a place in the service (a slot or the queue), or raise Overloaded at once."""
        if self.admitted >= self.capacity:
            raise Overloaded
        self.admitted += 1
        try:
            yield
        finally:
            self.admitted -= 1

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for one of the slots that draw faces."""
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._slots)
        async with self._semaphore:
            yield
