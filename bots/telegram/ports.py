"""What the Telegram channel needs from the rest of the system, injected at start.

The channel never imports storage: the composition root (`switchboard.channels.telegram`)
implements these on SQL, tests may implement them in memory.
"""

from __future__ import annotations

from typing import Protocol


def N_(text: str) -> str:  # gettext's name: `make messages` finds it
    """Mark an English text for the catalogues (graph/locales); said through `Wording`."""
    return text


class Wording(Protocol):
    def __call__(self, text: str, locale: str | None) -> str:
        """`text` (the English source) in the language of the sender's `locale` (their
        Telegram app's), else in the policy's default language."""
        ...


def in_english(text: str, locale: str | None) -> str:
    """The wording when nothing is injected (tests, a bare channel)."""
    return text


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
