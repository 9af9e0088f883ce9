"""The reference agent's tools: the same demo data and query code Switchboard's tools use.

Written the tutorial way: LangChain `@tool` functions that find the customer in the
run's config. They call our `tools/` functions so both systems do the same database work
per tool call.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from tools import tickets
from tools.base import Caller
from tools.kb import find_passages
from tools.orders import SqlOrders
from tools.payments import HISTORY, SqlPayments
from tools.payments import find_duplicate_charges as duplicates_of


def _json(value: Any) -> str:
    def plain(item: Any) -> Any:
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            return dataclasses.asdict(item)
        return item

    if isinstance(value, list):
        value = [plain(v) for v in value]
    return json.dumps(plain(value), default=str)


async def _charges(session: AsyncSession, who: Caller) -> list[Any]:
    since = datetime.now(UTC) - HISTORY
    return list(await SqlPayments().charges(session, who, since))


def build_tools(sessions: async_sessionmaker[AsyncSession]) -> list[Any]:
    def caller(config: RunnableConfig) -> Caller:
        configurable = config.get("configurable", {})
        return Caller(
            conversation_id=0,
            message_id=0,
            channel="webchat",
            customer_id=configurable.get("customer_id"),
        )

    @tool
    async def get_order(number: str, config: RunnableConfig) -> str:
        """Look up one of the customer's orders by its number (status, items, tracking)."""
        who = caller(config)
        if who.customer_id is None:
            return "The customer is not signed in."
        async with sessions() as session:
            return _json(await SqlOrders().order(session, who, number.lstrip("#")))

    @tool
    async def find_duplicate_charges(config: RunnableConfig) -> str:
        """Check the customer's recent card charges for the same purchase charged twice."""
        who = caller(config)
        if who.customer_id is None:
            return "The customer is not signed in."
        async with sessions() as session:
            return _json(duplicates_of(await _charges(session, who)))

    @tool
    async def list_charges(config: RunnableConfig) -> str:
        """List the customer's card charges of the last 30 days."""
        who = caller(config)
        if who.customer_id is None:
            return "The customer is not signed in."
        async with sessions() as session:
            return _json(await _charges(session, who))

    @tool
    async def list_tickets(config: RunnableConfig) -> str:
        """List the customer's support tickets, newest first."""
        who = caller(config)
        if who.customer_id is None:
            return "The customer is not signed in."
        async with sessions() as session:
            return _json(await tickets.search(session, who))

    @tool
    async def search_help_center(query: str) -> str:
        """Search the help centre; returns the best passages with their titles and links."""
        async with sessions() as session:
            return _json(await find_passages(session, query))

    return [get_order, find_duplicate_charges, list_charges, list_tickets, search_help_center]
