"""Link codes and stream cursors on both databases: single use, expiry, forward only."""

from __future__ import annotations

from datetime import timedelta

from storage import cursors, customers, link_codes
from storage.db import create_engine, session_factory, transaction


async def test_link_codes_and_cursors(database_url: str) -> None:
    db = create_engine(database_url)
    sessions = session_factory(db)
    try:
        async with transaction(sessions) as session:
            maria = await customers.get_customer_by_user_id(session, "cus_maria")
            assert maria is not None
            code, _ = await link_codes.issue_link_code(session, maria)
            old, _ = await link_codes.issue_link_code(session, maria, ttl=timedelta(seconds=-1))
        assert len(code) == 9 and code[4] == "-"

        async def redeem(value: str, user: str) -> str | None:
            async with transaction(sessions) as session:
                found = await link_codes.redeem_link_code(
                    session, value, channel="telegram", channel_user_id=user
                )
                return found.user_id if found else None

        assert await redeem(old, "1") is None  # expired
        assert await redeem("", "1") is None and await redeem("ZZZZ-ZZZZ", "1") is None
        assert await redeem(f" {code.lower().replace('-', ' ')} ", "1") == "cus_maria"
        assert await redeem(code, "1") == "cus_maria"  # the same account again: fine
        assert await redeem(code, "2") is None  # anyone else: no

        async with transaction(sessions) as session:
            assert await cursors.get_cursor(session, "t") is None
            await cursors.set_cursor(session, "t", 10)
            await cursors.set_cursor(session, "t", 7)  # a late, slower poller
        async with sessions() as session:
            assert await cursors.get_cursor(session, "t") == 10
            linked = await customers.customer_id_for(
                session, channel="telegram", channel_user_id="1"
            )
            assert linked == maria.id
    finally:
        await db.dispose()
