"""Background workers (the outboxes): stopped by letting what is in flight finish."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from structlog.typing import FilteringBoundLogger

from storage.db import transaction


async def finish(worker: asyncio.Task[None] | None, timeout: float) -> None:
    """Wait up to `timeout` for `worker` to finish what it is sending, then cancel it."""
    if worker is None:
        return
    _, pending = await asyncio.wait([worker], timeout=timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(worker, return_exceptions=True)


class OutboxWorker:
    """An outbox's background task: a pass posts what is due, then it waits until `wake`
    is set (a row was queued) or the pass's own wait is over; claims a dead replica left
    go back to the queue at start and every `stale_check_s` while it runs.

    The outbox says what a pass is (`drain`: seconds until the next, None for
    `stale_check_s`), how long to wait after a pass raised (`retry_in`), how its stale
    claims are requeued (`requeue`: how many were), and its log keys (`<kind>.requeued`
    with `<rows>=` the count, `<kind>.drain_failed`)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        wake: asyncio.Event,
        *,
        drain: Callable[[], Awaitable[float | None]],
        retry_in: Callable[[], float],
        requeue: Callable[[AsyncSession], Awaitable[int]],
        stale_check_s: float,
        log: FilteringBoundLogger,
        kind: str,
        rows: str,
    ) -> None:
        self._sessions = sessions
        self._wake = wake
        self._drain = drain
        self._retry_in = retry_in
        self._requeue = requeue
        self._stale_check_s = stale_check_s
        self._log = log
        self._kind = kind
        self._rows = rows
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._checked_claims_at = 0.0

    @property
    def stopping(self) -> bool:
        """Set by `stop`: a pass checks it between posts and ends early."""
        return self._stopping

    async def start(self) -> None:
        await self._requeue_stale_claims()
        self._task = asyncio.create_task(self._work())
        self._wake.set()  # whatever is pending from before the start

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the posts in flight (else they are posted again on the next start)."""
        self._stopping = True
        self._wake.set()
        await finish(self._task, timeout)
        self._task = None

    async def _requeue_stale_claims(self) -> None:
        async with transaction(self._sessions) as session:
            requeued = await self._requeue(session)
        self._checked_claims_at = asyncio.get_running_loop().time()
        if requeued:
            self._log.info(f"{self._kind}.requeued", **{self._rows: requeued})

    async def _work(self) -> None:
        delay: float | None = None
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake.wait(), timeout=self._stale_check_s if delay is None else delay
                )
            self._wake.clear()
            if self._stopping:
                return
            try:
                loop_time = asyncio.get_running_loop().time()
                if loop_time - self._checked_claims_at >= self._stale_check_s:
                    await self._requeue_stale_claims()
                delay = await self._drain()
            except Exception:
                self._log.exception(f"{self._kind}.drain_failed")
                delay = self._retry_in()
