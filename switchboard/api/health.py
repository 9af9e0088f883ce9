"""Liveness, readiness (database reachable) and Prometheus metrics."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import Field
from sqlalchemy import text

from storage.migrate import head_revision
from switchboard import metrics as m
from switchboard.api.deps import DatabaseDep
from switchboard.api.schemas import Public

router = APIRouter(tags=["operations"])


class Alive(Public):
    status: Literal["ok"]


class Ready(Public):
    status: Literal["ready"]


class NotReady(Public):
    """503: the database does not answer, or its schema is behind the code's."""

    status: Literal["unavailable", "migrations pending"]
    error: str | None = Field(None, description="What connecting raised (unavailable).")
    database: str | None = Field(None, description="The database's migration (pending).")
    code: str | None = Field(None, description="The migration the code expects (pending).")


@router.get("/healthz")
async def healthz() -> Alive:
    return Alive(status="ok")


@router.get("/readyz", response_model=Ready, responses={503: {"model": NotReady}})
async def readyz(db: DatabaseDep) -> Ready | JSONResponse:
    try:
        async with db.connect() as connection:
            version = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar()
    except Exception as exc:
        return _not_ready(NotReady(status="unavailable", error=type(exc).__name__))
    if version != head_revision():
        pending = NotReady(status="migrations pending", database=version, code=head_revision())
        return _not_ready(pending)
    return Ready(status="ready")


def _not_ready(body: NotReady) -> JSONResponse:
    # Only the keys that case has: `database` stays (as null) when there is no migration.
    return JSONResponse(body.model_dump(exclude_unset=True), 503)


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(db: DatabaseDep) -> Response:
    # Backlog gauges are read from the database at scrape time: true across replicas.
    try:
        async with db.connect() as connection:
            counts = (await connection.execute(text(BACKLOG_SQL))).one()
        for gauge, value in zip(
            (m.APPROVALS_WAITING, m.OUTBOX_BACKLOG, m.DEAD_LETTERS, m.OPEN_HANDOFFS),
            counts,
            strict=True,
        ):
            gauge.set(value or 0)
    except Exception:  # metrics must still answer while the database is away
        pass
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


BACKLOG_SQL = """
SELECT
  (SELECT COUNT(*) FROM approvals WHERE status = 'pending'),
  (SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND status = 'pending'),
  (SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND status = 'failed'),
  (SELECT COUNT(*) FROM conversations WHERE mode = 'human')
"""
