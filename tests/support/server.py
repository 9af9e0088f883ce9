"""The real app under uvicorn on a free 127.0.0.1 port, inside the test's event loop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from storage.conversations import set_mode
from storage.db import transaction
from storage.models import Mode, StaffRole
from storage.staff_accounts import add_staff, find_staff
from switchboard.app import create_app
from switchboard.engine.delivery import DeliveryPolicy
from switchboard.runtime import Runtime
from switchboard.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    app: FastAPI

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    async def add_staff(
        self, email: str = "dana@example.com", name: str = "Dana", role: str = "agent"
    ) -> str:
        """A staff account (so handoffs have someone to wait for); returns its password.
        Adding the same e-mail again changes nothing."""
        password = "dana-password-1"
        async with transaction(self.runtime.sessions) as session:
            if await find_staff(session, email) is None:
                await add_staff(
                    session, email=email, name=name, role=StaffRole(role), password=password
                )
        return password

    async def hand_back(self, conversation_id: int) -> None:
        """Staff hand the conversation back to the bot (the state change the staff desk
        makes), and the widget's sockets are told."""
        async with transaction(self.runtime.sessions) as session:
            await set_mode(session, conversation_id, Mode.bot)
        await self.runtime.engine.conversation_changed(conversation_id)


@asynccontextmanager
async def run_server(
    settings: Settings, *, delivery: DeliveryPolicy | None = None
) -> AsyncIterator[LiveServer]:
    app = create_app(settings, delivery=delivery or DeliveryPolicy(first_backoff_s=0.05))
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # surfaces the start-up error
        await asyncio.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        await task
