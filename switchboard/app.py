"""The FastAPI application factory: routes, error mapping, and the runtime's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DataError, InterfaceError, OperationalError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from bots.base import InboundMessage, TurnResult
from bots.webchat.adapter import WebchatAdapter
from bots.webchat.api import create_webchat_router
from bots.webchat.demo import demo_page_html
from storage.db import create_engine, session_factory
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
from switchboard.channels.table import build_channels
from switchboard.channels.webchat_store import SqlWebchatBackend
from switchboard.channels.widget_strings import strings_for, widget_script
from switchboard.desk.demo_console import open_demo_console
from switchboard.engine.delivery import DeliveryPolicy
from switchboard.guards import BodySizeLimit, RateLimit, RateLimiter
from switchboard.runtime import Runtime, open_runtime, turn_wait_s
from switchboard.settings import Settings, get_settings

log = structlog.get_logger(__name__)


class _EngineHandle:
    """Routes are built before the engine starts; this forwards to it once it has."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app

    @property
    def _runtime(self) -> Runtime:
        runtime: Runtime = self._app.state.runtime
        return runtime

    async def submit(self, message: InboundMessage) -> TurnResult:
        return await self._runtime.engine.submit(message)

    async def handle(self, message: InboundMessage, *, timeout: float = 30.0) -> TurnResult:
        return await self._runtime.engine.handle(message, timeout=timeout)


def _default_language(app: FastAPI) -> str:
    """The policy's language (the widget's words on a page in a language not shipped)."""
    runtime: Runtime | None = getattr(app.state, "runtime", None)
    return runtime.policy.language if runtime is not None else "en"


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
    settings: Settings | None = None, *, delivery: DeliveryPolicy | None = None
) -> FastAPI:
    settings = settings or get_settings()
    db = create_engine(settings.database_url)  # lazy: connects on first use
    webchat = WebchatAdapter()
    channels = None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        assert channels is not None
        async with open_runtime(
            settings,
            db=db,
            webchat=webchat,
            extra_adapters=channels.adapters,
            delivery=delivery,
        ) as runtime:
            app.state.runtime = runtime
            if settings.demo:  # the console on, with a local account printed here
                await open_demo_console(runtime.sessions, settings.public_url)
            for attach in channels.on_runtime:
                await attach(runtime)
            for start in channels.on_start:
                await start()
            log.info(
                "switchboard.started",
                database=settings.database_url.split("://")[0],
                channels=["webchat", *channels.adapters],
            )
            try:
                yield
            finally:
                for stop in channels.on_stop:
                    await stop()

    app = FastAPI(title="Switchboard", version="0.1.0", lifespan=lifespan)
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
    channels = build_channels(settings, _EngineHandle(app))
    for router in channels.routers:
        app.include_router(router)
    secret = settings.webchat_identity_secret
    secret_value = secret.get_secret_value() if secret else None
    app.include_router(
        create_webchat_router(
            engine=_EngineHandle(app),
            backend=SqlWebchatBackend(session_factory(db)),
            adapter=webchat,
            identity_secret=secret_value,
            turn_timeout_s=turn_wait_s(settings),
            allowed_origins=settings.webchat_origins or None,
            widget_strings=lambda locale: strings_for(locale, _default_language(app)),
        )
    )
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

    @app.get("/", include_in_schema=False)
    async def demo_page() -> HTMLResponse:
        return HTMLResponse(demo_page_html(demo=settings.demo, identity_secret=secret_value))

    @app.get("/widget.js", include_in_schema=False)
    async def widget() -> Response:
        script = widget_script(_default_language(app))
        return Response(script, media_type="application/javascript")

    return app
