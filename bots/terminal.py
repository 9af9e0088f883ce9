"""The terminal channel behind `switchboard chat`: replies are printed where you type."""

from __future__ import annotations

from collections.abc import Callable

from bots.base import ChannelCapabilities, Delivered, OutboundMessage


class TerminalAdapter:
    name = "terminal"
    capabilities = ChannelCapabilities(max_text_length=None, quick_replies=True)

    def __init__(self, write: Callable[[str], None] = print) -> None:
        self._write = write

    async def send(self, message: OutboundMessage) -> Delivered:
        speaker = "staff" if message.role == "staff" else "bot"
        self._write(f"{speaker}> {message.text}")
        if message.quick_replies:
            self._write("      [" + "] [".join(message.quick_replies) + "]")
        return Delivered((str(message.outbox_id),))
