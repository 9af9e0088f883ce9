"""The FastAPI application factory: routes, error mapping, and the runtime's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, InterfaceError, OperationalError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from storage.db import create_engine
from switchboard.api import (
    admin,
    analytics,
    approvals,
    console,
    corrections,
    customers,
    handoffs,
    health,
    help_pages,
    inbox,
    kb,
    outbox,
    staff_admin,
)
from switchboard.channels.ports import Channel
from switchboard.channels.table import build_channels, run_channels
from switchboard.desk.demo_console import open_demo_console
from switchboard.engine.delivery import DeliveryPolicy
from switchboard.guards import BodySizeLimit, RateLimit, RateLimiter
from switchboard.settings import Settings, get_settings

log = structlog.get_logger(__name__)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    first = exc.errors()[0] if exc.errors() else {}
    if first.get("type") == "json_invalid":
        return "request body is not valid JSON"
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query"))
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _validation_message(exc))

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def database_unavailable(_: Request, exc: Exception) -> JSONResponse:
        # 503 makes platforms (Telegram, Slack) retry the webhook later; nothing was
        # half-written because each write is one transaction.
        log.warning("http.database_unavailable", error=type(exc).__name__)
        return JSONResponse(
            {"error": "database unavailable; please retry"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def out_of_range(_: Request, exc: Exception) -> JSONResponse:
        return _error(422, "a value in the request is out of range")

    @app.exception_handler(StatementError)
    async def bad_statement(request: Request, exc: StatementError) -> JSONResponse:
        if isinstance(exc.orig, OverflowError | ValueError):
            return _error(422, "a value in the request is out of range")
        return await unexpected(request, exc)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("http.unhandled", error=type(exc).__name__)
        return _error(500, "internal error; it has been logged")


def create_app(
    settings: Settings | None = None,
    *,
    delivery: DeliveryPolicy | None = None,
    channels: Sequence[Channel] | None = None,
) -> FastAPI:
    """`channels`: the channel table to run instead of the one the settings make
    (`build_channels`), as the scenario runner does with its collecting channels."""
    settings = settings or get_settings()
    db = create_engine(settings.database_url)  # lazy: connects on first use
    table = list(channels) if channels is not None else build_channels(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with run_channels(settings, table, db=db, delivery=delivery) as runtime:
            app.state.runtime = runtime
            if settings.demo:  # the console on, with a local account printed here
                await open_demo_console(runtime.sessions, settings.public_url)
            log.info(
                "switchboard.started",
                database=settings.database_url.split("://")[0],
                channels=[channel.name for channel in table],
            )
            yield

    app = FastAPI(title="Switchboard", version="0.1.0", lifespan=lifespan)
    app.state.channels = {channel.name: channel for channel in table}
    install_error_handlers(app)
    app.add_middleware(
        RateLimit,
        limiter=RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst),
        prefixes=("/api/webchat/",),
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # The widget runs on the site owner's pages. Its API uses bearer tokens, not cookies,
    # so allowing those origins (all, by default) opens no cross-site request forgery.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.webchat_origins or ["*"],
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
    for channel in table:
        for router in channel.routers:
            app.include_router(router)
    app.include_router(admin.router)
    app.include_router(customers.router)
    app.include_router(approvals.router)
    app.include_router(handoffs.router)
    app.include_router(staff_admin.router)
    app.include_router(corrections.router)
    app.include_router(outbox.router)
    app.include_router(kb.router)
    app.include_router(analytics.router)
    app.include_router(inbox.router)
    app.include_router(console.router)
    app.include_router(health.router)
    app.include_router(help_pages.router)
    return app
