"""Background workers (the outboxes): stopped by letting what is in flight finish."""

from __future__ import annotations

import asyncio


async def finish(worker: asyncio.Task[None] | None, timeout: float) -> None:
    """Wait up to `timeout` for `worker` to finish what it is sending, then cancel it."""
    if worker is None:
        return
    _, pending = await asyncio.wait([worker], timeout=timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(worker, return_exceptions=True)
