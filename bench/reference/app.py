"""The reference's web chat server: FastAPI, `create_react_agent`, default checkpointing.

One thread per web chat session; every turn invokes the agent with the new message and
LangGraph appends it to the full history kept in the checkpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import FastAPI, Header, HTTPException
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI
from langgraph.prebuilt import create_react_agent
from pydantic import BaseModel, Field
from sqlmodel import select

from bench.reference.tools import build_tools
from storage.db import create_engine, is_sqlite, session_factory, sqlite_path
from storage.models import Customer

SYSTEM_PROMPT = (
    "You are the customer-support assistant of Acme, an online shop. Be brief and "
    "friendly. Use the tools to look up orders, charges, tickets and help-centre "
    "articles; never invent amounts or order details. If you cannot help, say so."
)


@dataclass(frozen=True)
class ReferenceConfig:
    database_url: str
    llm_base_url: str
    model: str = "reference-agent"
    identity_secret: str = "bench-identity-secret"


class SessionCreate(BaseModel):
    user_id: str | None = None
    user_hash: str | None = None
    name: str | None = None


class MessageCreate(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    client_message_id: str = Field(min_length=1, max_length=100)


@dataclass
class Session:
    session_id: str
    customer_id: int | None


async def _checkpointer(url: str, stack: AsyncExitStack) -> Any:
    """The checkpointer as the LangGraph docs set it up."""
    if is_sqlite(url):
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        saver = await stack.enter_async_context(AsyncSqliteSaver.from_conn_string(sqlite_path(url)))
    else:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        pool = AsyncConnectionPool(
            conninfo,
            max_size=10,
            open=False,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        )
        await pool.open()
        stack.push_async_callback(pool.close)
        saver = AsyncPostgresSaver(pool)  # type: ignore[arg-type]
    await saver.setup()
    return saver


async def verified_customer(db: Any, body: SessionCreate, identity_secret: str) -> int | None:
    """The signed-in customer's id, None for an anonymous visitor; 401 on a bad signature."""
    if not body.user_id:
        return None
    expected = hmac.new(identity_secret.encode(), body.user_id.encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), body.user_hash or ""):
        raise HTTPException(401, "user_hash does not match user_id")
    found = await db.exec(select(Customer.id).where(Customer.user_id == body.user_id))
    return found.first()  # type: ignore[no-any-return]


def baseline_app(title: str, lifespan: Any) -> FastAPI:
    """A benchmark baseline's FastAPI app, ready when its lifespan has started."""
    app = FastAPI(title=title, lifespan=lifespan)

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    return app


def create_reference_app(config: ReferenceConfig) -> FastAPI:
    sessions_by_token: dict[str, Session] = {}
    turn_ids = itertools.count(1)
    holder: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            engine = create_engine(config.database_url)
            stack.push_async_callback(engine.dispose)
            holder["sessions"] = session_factory(engine)
            model = ChatOpenAI(
                model=config.model,
                base_url=config.llm_base_url,
                api_key="not-needed",  # type: ignore[arg-type]
                temperature=0,
                timeout=30,
            )
            holder["agent"] = create_react_agent(
                model,
                build_tools(holder["sessions"]),
                prompt=SYSTEM_PROMPT,
                checkpointer=await _checkpointer(config.database_url, stack),
            )
            yield

    app = baseline_app("reference agent", lifespan)

    @app.post("/api/webchat/sessions", status_code=201)
    async def create_session(body: SessionCreate | None = None) -> dict[str, str]:
        async with holder["sessions"]() as db:
            customer_id = await verified_customer(
                db, body or SessionCreate(), config.identity_secret
            )
        session = Session(f"ws_{secrets.token_hex(12)}", customer_id)
        token = secrets.token_urlsafe(32)
        sessions_by_token[token] = session
        return {"session_id": session.session_id, "token": token}

    @app.post("/api/webchat/messages")
    async def post_message(
        body: MessageCreate, authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        session = sessions_by_token.get((authorization or "").removeprefix("Bearer ").strip())
        if session is None:
            raise HTTPException(401, "unknown session token")
        result = await holder["agent"].ainvoke(
            {"messages": [HumanMessage(body.text)]},
            {"configurable": {"thread_id": session.session_id, "customer_id": session.customer_id}},
        )
        answer = result["messages"][-1]
        return {
            "message_id": next(turn_ids),
            "conversation_id": 0,
            "mode": "bot",
            "route": "agent",
            "replies": [{"id": next(turn_ids), "text": str(answer.content), "quick_replies": []}],
        }

    return app
