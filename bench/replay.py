"""`switchboard policy replay` at scale: a generated database of conversations (inserted
through the real storage functions), replayed through the default policy, turns per
second and peak RSS printed.

    .venv/bin/python -m bench.replay --turns 2000            # SQLite in a temp dir
    .venv/bin/python -m bench.replay --turns 500 --database-url postgresql+psycopg://...

The database must be empty and migrated-to-be (it is migrated and the demo company
loaded). Peak RSS is the whole process's, models included: run two sizes to see that it
does not grow with the traffic.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage import conversations, customers, messages, traces
from storage.db import create_engine, session_factory, transaction
from storage.demo import load_demo
from storage.migrate import upgrade
from storage.models import Direction, InboundStatus, Message, Role, Trace

DEFAULT_POLICY = Path(__file__).resolve().parents[1] / "switchboard" / "default_policy.yaml"

#: (text, intent, route) a day's traffic is drawn from.
MESSAGES = [
    (
        "My payment failed twice, but I was still charged.",
        "billing_issue",
        "workflow:billing_issue",
    ),
    ("where is my order 1042?", "order_status", "workflow:order_status"),
    ("how long do refunds take?", "refund_request", "workflow:faq"),
    ("what is your return policy", "faq", "workflow:faq"),
    ("hi", "greeting", "workflow:greeting"),
    ("thanks, bye", "greeting", "workflow:greeting"),
    ("do you ship internationally", "faq", "workflow:faq"),
    ("I want a refund for order 1038", "refund_request", "workflow:refund_request"),
]


async def generate(url: str, turns: int, seed: int = 7) -> int:
    """Conversations of 1-4 turns each until `turns` turns exist; returns conversations."""
    random.seed(seed)
    engine = create_engine(url)
    made = 0
    try:
        sessions = session_factory(engine)
        async with transaction(sessions) as session:
            await load_demo(session)
        async with sessions() as session:
            people = [
                await customers.customer_id_for(session, user_id=u, channel="webchat")
                for u in ("cus_maria", "cus_sam")
            ]
        start = datetime.now(UTC) - timedelta(days=2)
        written = 0
        while written < turns:
            async with transaction(sessions) as session:
                conversation = await conversations.open_conversation(
                    session,
                    channel="webchat",
                    channel_chat_id=f"bench-{made}",
                    customer_id=random.choice([*people, None]),
                )
                assert conversation.id is not None
                for _ in range(min(random.randint(1, 4), turns - written)):
                    text, intent, route = random.choice(MESSAGES)
                    written += 1
                    at = start + timedelta(seconds=written * 30)
                    inbound, _ = await messages.insert_inbound(
                        session,
                        Message(
                            conversation_id=conversation.id,
                            direction=Direction.inbound,
                            role=Role.customer,
                            channel="webchat",
                            channel_message_id=f"bench-{written}",
                            text=text,
                            status=InboundStatus.processed,
                            created_at=at,
                        ),
                    )
                    assert inbound.id is not None
                    await messages.add_outbound(
                        session,
                        conversation_id=conversation.id,
                        channel="webchat",
                        text=f"reply to {inbound.id}",
                        reply_to_id=inbound.id,
                        delivered=True,
                    )
                    await traces.add_trace(
                        session,
                        Trace(
                            conversation_id=conversation.id,
                            message_id=inbound.id,
                            intent=intent,
                            route=route,
                            node_path=["guard", "classify", "route", route.split(":")[-1]],
                            created_at=at,
                        ),
                    )
            made += 1
    finally:
        await engine.dispose()
    return made


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(turns: int, url: str | None) -> dict[str, object]:
    from graph.policy import load_policy
    from switchboard.replay import Selection, replay
    from switchboard.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        made = await generate(url, turns)
        rss_before = peak_rss_mb()
        settings = load_settings(
            SWITCHBOARD_DATABASE_URL=url, SWITCHBOARD_POLICY=str(DEFAULT_POLICY)
        )
        report = await replay(settings, load_policy(DEFAULT_POLICY), Selection())
        return {
            "database": url.split(":")[0],
            "conversations": made,
            "turns_replayed": report.turns,
            "turns_changed": report.changed_turns,
            "replay_s": round(report.seconds, 2),
            "setup_s": round(report.setup_seconds, 2),
            "turns_per_s": round(report.turns_per_s, 1),
            "peak_rss_mb_after_generating": round(rss_before),
            "peak_rss_mb": round(peak_rss_mb()),
        }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.turns, args.database_url)), indent=2))
