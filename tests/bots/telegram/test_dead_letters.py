"""A platform that keeps failing: retries with backoff, then a visible dead letter that
staff can retry once the platform is back. Delivered exactly once in the end."""

from __future__ import annotations

import asyncio

from storage.models import Direction
from tests.bots.telegram.conftest import Telegram, new_user
from tests.conftest import ADMIN_TOKEN
from tests.support.fake_telegram import message_update

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def _reply_row(telegram: Telegram, user: int, status: str):  # type: ignore[no-untyped-def]
    for _ in range(200):
        rows = [m for m in await telegram.rows(user) if m.direction == Direction.outbound]
        if rows and rows[0].status == status:
            return rows[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"reply never became {status}: {[(m.status, m.attempts) for m in rows]}")


async def test_a_platform_outage_ends_in_a_dead_letter_that_staff_retry(
    telegram: Telegram,
) -> None:
    user = new_user()
    telegram.fake.fail_next(
        "sendMessage",
        status=500,
        retry_after=None,
        times=5,
        chat_id=user,
        description="Internal Server Error",
    )
    assert (await telegram.post(message_update(user, "hello", message_id=1))).status_code == 200

    dead = await _reply_row(telegram, user, "failed")
    assert dead.attempts == 5  # retried with backoff, then gave up visibly
    attempts = telegram.fake.calls_of("sendMessage", user)
    assert len(attempts) == 5
    listed = (await telegram.http.get("/api/admin/outbox", headers=ADMIN)).json()["messages"]
    assert dead.id in [m["id"] for m in listed]
    conversation = await telegram.conversation(user)
    assert conversation.delivery_error

    # The platform is back; staff retry the dead letter.
    retried = await telegram.http.post(f"/api/admin/outbox/{dead.id}/retry", headers=ADMIN)
    assert retried.json()["status"] == "delivered"
    delivered = [c for c in telegram.fake.calls_of("sendMessage", user) if c.result]
    assert len(delivered) == 1
    again = await telegram.http.post(f"/api/admin/outbox/{dead.id}/retry", headers=ADMIN)
    assert again.json()["status"] == "delivered"  # a second retry sends nothing more
    assert len([c for c in telegram.fake.calls_of("sendMessage", user) if c.result]) == 1
