"""The loop every outbox runs (switchboard/workers.py): a pass at start and whenever a row
is queued, a wait after a failed pass, stale claims requeued while it runs, and a stop
that lets the pass in flight finish."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import create_engine, session_factory
from switchboard.workers import OutboxWorker

Sessions = async_sessionmaker[AsyncSession]


class Outbox:
    """Records what the loop asks of it; `fail` makes the next passes raise."""

    def __init__(self) -> None:
        self.passes = 0
        self.requeues = 0
        self.fail = 0
        self.in_flight = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()
        self.changed = asyncio.Event()

    async def until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(2.0):
            while not condition():
                await self.changed.wait()
                self.changed.clear()

    async def drain(self) -> float | None:
        self.passes += 1
        self.changed.set()
        if self.fail:
            self.fail -= 1
            raise RuntimeError("the receiver's client broke")
        self.in_flight.set()
        await self.release.wait()
        self.in_flight.clear()
        return None

    async def requeue(self, session: AsyncSession) -> int:
        self.requeues += 1
        self.changed.set()
        return 0


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


def worker(
    sessions: Sessions, outbox: Outbox, wake: asyncio.Event, **timing: float
) -> OutboxWorker:
    return OutboxWorker(
        sessions,
        wake,
        drain=outbox.drain,
        retry_in=lambda: timing.get("retry_in", 30.0),
        requeue=outbox.requeue,
        stale_check_s=timing.get("stale_check_s", 30.0),
        log=structlog.get_logger(__name__),
        kind="test",
        rows="rows",
    )


async def test_a_pass_runs_at_start_and_when_a_row_is_queued(sessions: Sessions) -> None:
    outbox, wake = Outbox(), asyncio.Event()
    loop = worker(sessions, outbox, wake)
    await loop.start()
    await outbox.until(lambda: outbox.passes == 1)
    assert outbox.requeues == 1  # what a crash left claimed, before the first pass
    wake.set()
    await outbox.until(lambda: outbox.passes == 2)
    await loop.stop()


async def test_a_failed_pass_is_tried_again_after_its_wait(sessions: Sessions) -> None:
    outbox, wake = Outbox(), asyncio.Event()
    outbox.fail = 2
    loop = worker(sessions, outbox, wake, retry_in=0.05)
    await loop.start()
    await outbox.until(lambda: outbox.passes == 3)
    await loop.stop()


async def test_stale_claims_are_requeued_while_it_runs(sessions: Sessions) -> None:
    outbox, wake = Outbox(), asyncio.Event()
    loop = worker(sessions, outbox, wake, stale_check_s=0.05)
    await loop.start()
    await outbox.until(lambda: outbox.requeues >= 3)
    await loop.stop()


async def test_stop_lets_the_pass_in_flight_finish_and_starts_no_other(sessions: Sessions) -> None:
    outbox, wake = Outbox(), asyncio.Event()
    outbox.release.clear()
    loop = worker(sessions, outbox, wake)
    await loop.start()
    await asyncio.wait_for(outbox.in_flight.wait(), 2.0)
    stopping = asyncio.create_task(loop.stop())
    await asyncio.sleep(0.05)
    assert loop.stopping and not stopping.done()
    outbox.release.set()
    await asyncio.wait_for(stopping, 2.0)
    assert outbox.passes == 1 and not outbox.in_flight.is_set()
