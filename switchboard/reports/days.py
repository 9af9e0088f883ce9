"""The report per UTC day, for the dashboard's charts: volume by route, containment,
bot response p50, cost. Same window and definitions as `switchboard.reports.report`, in SQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.reports.report import C, T, Window, _scope, bot_response_ms, contained, in_window
from switchboard.reports.sql import percentiles, utc_day

ROUTE_GROUPS = ("workflow", "agent", "human", "other")


def route_group() -> Any:
    """workflow:<name> → workflow; agent; human (handoffs); anything else → other."""
    return case(
        (T.route.like("workflow:%"), "workflow"),
        (T.route == "agent", "agent"),
        (T.route == "human", "human"),
        else_="other",
    )


async def daily(conn: AsyncConnection, window: Window) -> list[dict[str, Any]]:
    """One entry per day of the window (days without traffic included, as zeros)."""
    days: dict[str, dict[str, Any]] = {}
    day = window.since.date()
    while day < window.until.date() or (day == window.until.date() and window.until.time()):
        days[day.isoformat()] = {
            "day": day.isoformat(),
            "conversations": 0,
            "containment_rate": None,
            "routes": dict.fromkeys(ROUTE_GROUPS, 0),
            "bot_p50_ms": None,
            "cost_usd": 0.0,
        }
        day += timedelta(days=1)
    started = utc_day(C.created_at)
    for bucket, total, kept in await conn.execute(
        select(started, func.count(), func.sum(case((contained(C.id), 1), else_=0)))
        .where(in_window(window))
        .group_by(started)
    ):
        if bucket in days:
            days[bucket]["conversations"] = int(total)
            days[bucket]["containment_rate"] = round(int(kept or 0) / int(total), 4)
    turn_day, group = utc_day(T.created_at), route_group()
    for bucket, name, turns, cost in await conn.execute(
        select(turn_day, group, func.count(), func.coalesce(func.sum(T.cost_usd), 0.0))
        .where(T.conversation_id.in_(_scope(window)))
        .group_by(turn_day, group)
    ):
        if bucket in days:
            days[bucket]["routes"][name] = int(turns)
            days[bucket]["cost_usd"] = round(days[bucket]["cost_usd"] + float(cost), 6)
    for bucket, p50 in await conn.execute(percentiles(bot_response_ms(window), 50, group="day")):
        if bucket in days and p50 is not None:
            days[bucket]["bot_p50_ms"] = round(float(p50), 1)
    return list(days.values())
