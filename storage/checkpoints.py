"""Switchboard's LangGraph checkpointer: one row per thread in `graph_checkpoints`.

A thread is a conversation (its workflow stack and this turn's decisions) or an approval
waiting for staff. Each turn replaces its thread's row, so the table holds one row per
live thread however long conversations run: nothing to prune, no dead rows piling up
between vacuums. History (older checkpoints, time travel) is not kept: the transcript
lives in `messages` and each turn's decisions in `traces`.

Inside a turn (`storage.turn_transaction`) the row is written in the turn's own
transaction, so it commits with the replies, the inbound row's status and the trace;
elsewhere (a script, the conformance suite) each write is its own transaction.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_checkpoint_metadata,
)
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import transaction
from storage.models import GraphCheckpoint, utcnow
from storage.turn_transaction import NOT_READ, current_turn

CHECKPOINTS = GraphCheckpoint.__table__  # type: ignore[attr-defined]

#: One pending write: task id, channel, value, task path. Kept in the order written.
PendingWrites = list[tuple[str, int, str, Any, str]]


class SqlCheckpointSaver(BaseCheckpointSaver[str]):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        super().__init__()
        self._sessions = sessions

    def get_next_version(self, current: str | None, channel: None = None) -> str:
        """LangGraph's own savers' scheme (zero-padded count, random tail), so threads
        carried over from them go on counting."""
        count = 0 if current is None else int(str(current).split(".")[0])
        return f"{count + 1:032}.{random.random():016}"

    # --- where to read and write -------------------------------------------------------

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncSession]:
        turn = current_turn()
        if turn is not None and turn.begun is not None:  # see what the turn wrote
            yield turn.begun
            return
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        turn = current_turn()
        if turn is not None:
            turn.forget_read_ahead()  # from here on, reads see what the turn wrote
            yield await turn.session()
            return
        async with transaction(self._sessions) as session:
            yield session

    # --- the saver's contract ------------------------------------------------------------

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        thread_id, namespace = _thread(config)
        turn = current_turn()
        row = NOT_READ if turn is None else turn.take_read_ahead(thread_id, namespace)
        if row is NOT_READ:
            async with self._reading() as session:
                row = (
                    await session.execute(
                        select(CHECKPOINTS).where(
                            CHECKPOINTS.c.thread_id == thread_id,
                            CHECKPOINTS.c.checkpoint_ns == namespace,
                        )
                    )
                ).first()
        wanted = get_checkpoint_id(config)
        if row is None or (wanted is not None and row.checkpoint_id != wanted):
            return None
        return self._tuple(row)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        query = select(CHECKPOINTS).order_by(CHECKPOINTS.c.checkpoint_id.desc())
        wanted = None
        if config is not None:
            configurable = config.get("configurable", {})
            query = query.where(CHECKPOINTS.c.thread_id == str(configurable["thread_id"]))
            if "checkpoint_ns" in configurable:
                query = query.where(CHECKPOINTS.c.checkpoint_ns == configurable["checkpoint_ns"])
            wanted = get_checkpoint_id(config)
        if wanted is not None:
            query = query.where(CHECKPOINTS.c.checkpoint_id == wanted)
        if before is not None and (before_id := get_checkpoint_id(before)) is not None:
            query = query.where(CHECKPOINTS.c.checkpoint_id < before_id)
        async with self._reading() as session:
            rows = (await session.execute(query)).all()
        given = 0
        for row in rows:
            found = self._tuple(row)
            if filter and any(found.metadata.get(k) != v for k, v in filter.items()):
                continue
            if limit is not None and given >= limit:
                return
            given += 1
            yield found

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        thread_id, namespace = _thread(config)
        kind, data = self.serde.dumps_typed((checkpoint, get_checkpoint_metadata(config, metadata)))
        values = {
            "thread_id": thread_id,
            "checkpoint_ns": namespace,
            "checkpoint_id": checkpoint["id"],
            "parent_checkpoint_id": config["configurable"].get("checkpoint_id"),
            "state_type": kind,
            "state": data,
            "writes_type": None,
            "writes": None,
            "updated_at": utcnow(),
        }
        async with self._writing() as session:
            await session.execute(_upsert(session), values)
        return {
            "configurable": {
                "thread_id": thread_id,
                "checkpoint_ns": namespace,
                "checkpoint_id": checkpoint["id"],
            }
        }

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        thread_id, namespace = _thread(config)
        checkpoint_id = config["configurable"]["checkpoint_id"]
        where = (
            CHECKPOINTS.c.thread_id == thread_id,
            CHECKPOINTS.c.checkpoint_ns == namespace,
            CHECKPOINTS.c.checkpoint_id == checkpoint_id,
        )
        async with self._writing() as session:
            row = (
                await session.execute(
                    select(CHECKPOINTS.c.writes_type, CHECKPOINTS.c.writes).where(*where)
                )
            ).first()
            if row is None:  # writes of a checkpoint since replaced: nothing reads them
                return
            pending = self._writes(row.writes_type, row.writes)
            held = {(task, idx): n for n, (task, idx, *_) in enumerate(pending)}
            for idx, (channel, value) in enumerate(writes):
                key = (task_id, WRITES_IDX_MAP.get(channel, idx))
                entry = (task_id, key[1], channel, value, task_path)
                if key not in held:
                    held[key] = len(pending)
                    pending.append(entry)
                elif key[1] < 0:  # an error, interrupt or resume: the newest counts
                    pending[held[key]] = entry
            kind, data = self.serde.dumps_typed(pending)
            await session.execute(
                update(CHECKPOINTS).where(*where).values(writes_type=kind, writes=data)
            )

    async def adelete_thread(self, thread_id: str) -> None:
        async with self._writing() as session:
            await session.execute(delete(CHECKPOINTS).where(CHECKPOINTS.c.thread_id == thread_id))

    # --- rows ------------------------------------------------------------------------------

    def _writes(self, kind: str | None, data: bytes | None) -> PendingWrites:
        if kind is None or data is None:
            return []
        return [tuple(entry) for entry in self.serde.loads_typed((kind, data))]  # type: ignore[misc]

    def _tuple(self, row: Any) -> CheckpointTuple:
        checkpoint, metadata = self.serde.loads_typed((row.state_type, row.state))
        ids = {"thread_id": row.thread_id, "checkpoint_ns": row.checkpoint_ns}
        return CheckpointTuple(
            config={"configurable": {**ids, "checkpoint_id": row.checkpoint_id}},
            checkpoint=checkpoint,
            metadata=metadata,
            parent_config=(
                {"configurable": {**ids, "checkpoint_id": row.parent_checkpoint_id}}
                if row.parent_checkpoint_id
                else None
            ),
            pending_writes=[
                (task, channel, value)
                for task, _, channel, value, _ in self._writes(row.writes_type, row.writes)
            ],
        )


def _thread(config: RunnableConfig) -> tuple[str, str]:
    configurable = config["configurable"]
    return str(configurable["thread_id"]), configurable.get("checkpoint_ns", "")


_UPSERTS: dict[str, Any] = {}


def _upsert(session: AsyncSession) -> Any:
    """`INSERT … ON CONFLICT (thread, namespace) DO UPDATE`, built once per dialect."""
    dialect = session.get_bind().dialect.name
    if dialect not in _UPSERTS:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(CHECKPOINTS)
        replaced = ("thread_id", "checkpoint_ns")
        _UPSERTS[dialect] = statement.on_conflict_do_update(
            index_elements=list(replaced),
            set_={
                c.name: statement.excluded[c.name] for c in CHECKPOINTS.c if c.name not in replaced
            },
        )
    return _UPSERTS[dialect]
