"""The floor's web chat server: FastAPI, a five-node graph, one checkpoint and one commit
a turn. Same contract as Switchboard's web chat and the reference's."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, TypedDict

from fastapi import FastAPI, Header, HTTPException
from langgraph.graph import END, START, StateGraph
from sqlalchemy import insert

from bench.reference.app import MessageCreate, SessionCreate, baseline_app, verified_customer
from storage.checkpoints import SqlCheckpointSaver
from storage.db import create_engine, session_factory, transaction
from storage.models import Conversation, Message
from storage.turn_transaction import turn_transaction

CONVERSATIONS = Conversation.__table__
MESSAGES = Message.__table__


class FloorState(TypedDict, total=False):
    text: str
    intent: str
    reply: str


def _receive(state: FloorState) -> FloorState:
    return {"text": state["text"].strip()}


def _classify(state: FloorState) -> FloorState:
    return {"intent": "order_status" if "order" in state["text"].lower() else "other"}


def _route(state: FloorState) -> FloorState:
    return {}


def _answer(state: FloorState) -> FloorState:
    return {"reply": f"Thanks, I'm on it ({state['intent']})."}


def _finish(state: FloorState) -> FloorState:
    return {}


def build_floor_graph() -> StateGraph[FloorState]:
    graph = StateGraph(FloorState)
    nodes = [("receive", _receive), ("classify", _classify), ("route", _route)]
    nodes += [("answer", _answer), ("finish", _finish)]
    previous = START
    for name, node in nodes:
        graph.add_node(name, node)
        graph.add_edge(previous, name)
        previous = name
    graph.add_edge(previous, END)
    return graph


def create_floor_app(database_url: str, identity_secret: str) -> FastAPI:
    conversation_by_token: dict[str, int] = {}
    holder: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            engine = create_engine(database_url)
            stack.push_async_callback(engine.dispose)
            holder["sessions"] = session_factory(engine)
            # Switchboard's saver: the checkpoint is written in the turn's one commit.
            saver = SqlCheckpointSaver(holder["sessions"])
            holder["graph"] = build_floor_graph().compile(checkpointer=saver)
            yield

    app = baseline_app("floor", lifespan)

    @app.post("/api/webchat/sessions", status_code=201)
    async def create_session(body: SessionCreate | None = None) -> dict[str, str]:
        session_id = f"ws_{secrets.token_hex(12)}"
        async with transaction(holder["sessions"]) as db:
            customer_id = await verified_customer(db, body or SessionCreate(), identity_secret)
            created = await db.execute(
                insert(CONVERSATIONS).returning(CONVERSATIONS.c.id),
                {
                    "channel": "webchat",
                    "channel_chat_id": session_id,
                    "customer_id": customer_id,
                    "mode": "bot",
                    "created_at": datetime.now(UTC),
                    "updated_at": datetime.now(UTC),
                },
            )
            conversation_id = int(created.scalar_one())
        token = secrets.token_urlsafe(32)
        conversation_by_token[token] = conversation_id
        return {"session_id": session_id, "token": token}

    @app.post("/api/webchat/messages")
    async def post_message(
        body: MessageCreate, authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        token = (authorization or "").removeprefix("Bearer ").strip()
        conversation_id = conversation_by_token.get(token)
        if conversation_id is None:
            raise HTTPException(401, "unknown session token")
        now = datetime.now(UTC)
        row = {"conversation_id": conversation_id, "channel": "webchat", "attempts": 0}
        row |= {"quick_replies": [], "attachments": [], "created_at": now}
        async with turn_transaction(holder["sessions"]) as turn:
            with turn.current():
                result = await holder["graph"].ainvoke(
                    {"text": body.text},
                    {"configurable": {"thread_id": str(conversation_id)}},
                    durability="exit",
                )
            db = await turn.session()
            inbound = await db.execute(
                insert(MESSAGES).returning(MESSAGES.c.id),
                {
                    **row,
                    "role": "customer",
                    "direction": "inbound",
                    "text": body.text,
                    "status": "processed",
                    "channel_message_id": body.client_message_id,
                },
            )
            inbound_id = int(inbound.scalar_one())
            reply = await db.execute(
                insert(MESSAGES).returning(MESSAGES.c.id),
                {
                    **row,
                    "role": "bot",
                    "direction": "outbound",
                    "text": result["reply"],
                    "status": "delivered",
                    "done_at": now,
                },
            )
            reply_id = int(reply.scalar_one())
        return {
            "message_id": inbound_id,
            "conversation_id": conversation_id,
            "mode": "bot",
            "route": f"floor:{result['intent']}",
            "replies": [{"id": reply_id, "text": result["reply"], "quick_replies": []}],
        }

    return app
