"""The web chat entry of the channel table: the widget's API and socket (bots/webchat),
`/widget.js` and the demo page, on this server's database.

With PostgreSQL (replicas), the adapter the engine delivers through is the fan-out's:
a reply made here reaches sockets open on every replica (`fanout.py`).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.base import ChannelAdapter, InboundMessage, TurnResult
from bots.webchat.adapter import WebchatAdapter
from bots.webchat.api import create_webchat_router
from bots.webchat.demo import demo_page_html
from storage.db import is_sqlite
from switchboard.channels.fanout import Fanout
from switchboard.channels.ports import ChannelPorts
from switchboard.channels.webchat_store import SqlWebchatBackend
from switchboard.channels.widget_strings import strings_for, widget_script
from switchboard.runtime import turn_wait_s
from switchboard.settings import Settings


class Webchat:
    name = "webchat"

    def __init__(self, settings: Settings) -> None:
        self.live = WebchatAdapter()
        """This server's open sockets."""
        self._fanout = (
            Fanout(settings.database_url, self.live)
            if not is_sqlite(settings.database_url)
            else None
        )
        self.adapter: ChannelAdapter = self._fanout.adapter() if self._fanout else self.live
        self._ports: ChannelPorts | None = None
        secret = settings.webchat_identity_secret
        secret_value = secret.get_secret_value() if secret else None
        api = create_webchat_router(
            engine=self,  # the routes exist before the engine: they reach it through here
            backend=SqlWebchatBackend(self._sessions),
            adapter=self.live,
            identity_secret=secret_value,
            turn_timeout_s=turn_wait_s(settings),
            allowed_origins=settings.webchat_origins or None,
            widget_strings=lambda locale: strings_for(locale, self._language()),
        )
        pages = APIRouter(include_in_schema=False)

        @pages.get("/")
        async def demo_page() -> HTMLResponse:
            return HTMLResponse(demo_page_html(demo=settings.demo, identity_secret=secret_value))

        @pages.get("/widget.js")
        async def widget() -> Response:
            return Response(widget_script(self._language()), media_type="application/javascript")

        self.routers = (api, pages)

    @property
    def ports(self) -> ChannelPorts:
        if self._ports is None:
            raise RuntimeError("the web chat has not started")
        return self._ports

    def _sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.ports.sessions

    def _language(self) -> str:
        """The policy's: the widget's words on a page in a language not shipped."""
        return self._ports.policy.language if self._ports is not None else "en"

    async def start(self, ports: ChannelPorts) -> None:
        self._ports = ports
        # Open sockets re-read the conversation's mode (handoff, hand-back), here and,
        # through the fan-out, on the other replicas.
        ports.engine.on_conversation_changed(self.live.conversation_changed)
        if self._fanout is not None:
            ports.engine.on_conversation_changed(self._fanout.changed_listener())
            await self._fanout.start(ports.sessions)

    async def stop(self) -> None:
        if self._fanout is not None:
            await self._fanout.stop()

    # The engine as the widget's routes, built before it exists, reach it.

    async def submit(self, message: InboundMessage) -> TurnResult:
        return await self.ports.engine.submit(message)

    async def handle(self, message: InboundMessage, *, timeout: float = 30.0) -> TurnResult:
        return await self.ports.engine.handle(message, timeout=timeout)
