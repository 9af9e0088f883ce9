"""The Slack channel: one bolt `AsyncApp` serving customers and the staff desk.

HTTP mode answers `POST /slack/events` (events, button clicks and the slash command all
arrive there, signed with SLACK_SIGNING_SECRET); Socket Mode (SLACK_APP_TOKEN) feeds the
same app over a websocket for deployments without a public URL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import structlog
from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bots.base import EngineHandle
from bots.slack.adapter import SlackAdapter
from bots.slack.cards import StaffDesk
from bots.slack.client import make_client
from bots.slack.listeners import Listeners
from bots.slack.poster import SlackStaffPoster

log = structlog.get_logger(__name__)


class SlackChannel:
    """Built from its settings (the events route can be served before anything runs),
    then started with the engine and the staff desk its listeners use."""

    def __init__(
        self,
        *,
        bot_token: str,
        signing_secret: str,
        support_channel: str,
        api_url: str | None = None,
        app_token: str | None = None,
    ) -> None:
        self.support_channel = support_channel
        self.client = make_client(bot_token, api_url)
        self.adapter = SlackAdapter(self.client)
        self.poster = SlackStaffPoster(self.client, support_channel)
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=signing_secret,
            # Answer Slack only after the listener ran: the inbox insert happens first.
            process_before_response=True,
            logger=logging.getLogger("bots.slack.bolt"),
        )
        Listeners(self).register(self.bolt)
        self.router = self._router()
        self._app_token = app_token
        self._socket: AsyncSocketModeHandler | None = None
        self._engine: EngineHandle | None = None
        self._desk: StaffDesk | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def _router(self) -> APIRouter:
        handler = AsyncSlackRequestHandler(self.bolt)
        router = APIRouter(tags=["slack"])

        @router.post("/slack/events", include_in_schema=False)
        async def slack_events(request: Request) -> Response:
            return await handler.handle(request)

        return router

    # --- what the listeners use once started -------------------------------------------

    @property
    def engine(self) -> EngineHandle:
        if self._engine is None:
            raise RuntimeError("the Slack channel has not started")
        return self._engine

    @property
    def desk(self) -> StaffDesk:
        if self._desk is None:
            raise RuntimeError("the Slack channel has not started")
        return self._desk

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run after Slack got its answer; failures are logged, never lost silently."""

        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("slack.background_failed")

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait for background work (tests, and shutdown)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self, engine: EngineHandle, desk: StaffDesk) -> None:
        """Socket Mode connects here, so events arrive only once the engine runs."""
        self._engine, self._desk = engine, desk
        if self._app_token:
            self._socket = AsyncSocketModeHandler(self.bolt, self._app_token)
            await self._socket.connect_async()
            log.info("slack.socket_mode_connected")

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        await self.idle()
