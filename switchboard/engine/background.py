"""The engine's background tasks (drains, deliveries, approvals carried out), so that
stopping can let them finish and a test can wait for everything a request started."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class Background:
    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def settle(self, timeout: float = 20.0) -> set[asyncio.Task[None]]:
        """Wait for what runs to finish; returns what still runs after `timeout`."""
        if not self.tasks:
            return set()
        _, still_running = await asyncio.wait(list(self.tasks), timeout=timeout)
        return still_running

    async def stop(self, timeout: float) -> None:
        """Let what runs finish for `timeout`, then cancel the rest (a cancelled turn
        commits nothing and is resumed on the next start) and wait for the cancellation
        to close what they held (a model call's connection)."""
        still_running = await self.settle(timeout)
        for task in still_running:
            task.cancel()
        if still_running:
            await asyncio.wait(still_running, timeout=5.0)
