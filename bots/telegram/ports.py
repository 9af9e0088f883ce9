"""What the Telegram channel needs from the rest of the system, injected at start.

The channel never imports storage: the composition root (`switchboard.telegram_channel`)
implements these on SQL, tests may implement them in memory.
"""

from __future__ import annotations

from typing import Protocol


class AccountLinks(Protocol):
    async def redeem(self, code: str, *, channel: str, channel_user_id: str) -> str | None:
        """Link this channel account to the customer the code was issued for.

        Returns the customer's display name, or None when the code is unknown, expired or
        used by someone else. Redeeming again by the same account succeeds again, so a
        replayed update is harmless.
        """
        ...


class UpdateCursor(Protocol):
    """The last update id long polling has handed to the engine, kept durably so a
    restarted poller resumes after it instead of relying on Telegram's 24 h queue."""

    async def load(self) -> int | None: ...

    async def save(self, update_id: int) -> None: ...
