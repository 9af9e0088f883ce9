"""Liveness, readiness (database reachable) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from storage.migrate import head_revision
from switchboard import metrics as m
from switchboard.api.deps import RuntimeDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(runtime: RuntimeDep) -> Response:
    try:
        async with runtime.db.connect() as connection:
            version = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar()
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "error": type(exc).__name__}, 503)
    if version != head_revision():
        return JSONResponse(
            {"status": "migrations pending", "database": version, "code": head_revision()}, 503
        )
    return JSONResponse({"status": "ready"})


@router.get("/metrics")
async def metrics(runtime: RuntimeDep) -> Response:
    # Backlog gauges are read from the database at scrape time: true across replicas.
    try:
        async with runtime.db.connect() as connection:
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
