"""Posting the staff desk's cards to the support channel, and reading who is in a group."""

from __future__ import annotations

import time

from slack_sdk.web.async_client import AsyncWebClient

from bots.slack.blocks import render
from bots.slack.cards import Card, MessageRef
from bots.slack.client import TRANSIENT, is_permanent, retry_after, slack_error

GROUP_CACHE_S = 60.0


class StaffPostFailed(Exception):
    """Slack did not take the post; `permanent` when trying again cannot help."""

    def __init__(self, error: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(error)
        self.permanent = permanent
        self.retry_after = retry_after


class SlackStaffPoster:
    def __init__(self, client: AsyncWebClient, support_channel: str) -> None:
        self._client = client
        self.support_channel = support_channel
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}

    async def _call(self, method: str, **kwargs: object) -> dict[str, object]:
        try:
            # The typed method (chat_postMessage, usergroups_users_list) knows each one's
            # HTTP verb and encoding.
            response = await getattr(self._client, method.replace(".", "_"))(**kwargs)
        except TRANSIENT as exc:
            raise StaffPostFailed(
                f"{method}: {slack_error(exc)}",
                permanent=is_permanent(exc),
                retry_after=retry_after(exc),
            ) from exc
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def post(self, card: Card, *, thread: MessageRef | None = None) -> MessageRef:
        """A card in the support channel (or in a thread there)."""
        text, blocks = render(card)
        channel = thread.channel if thread else self.support_channel
        extra = {"thread_ts": thread.ts} if thread else {}
        data = await self._call(
            "chat.postMessage",
            channel=channel,
            text=text,
            blocks=blocks,
            unfurl_links=False,
            **extra,
        )
        return MessageRef(str(data.get("channel") or channel), str(data["ts"]))

    async def update(self, ref: MessageRef, card: Card) -> None:
        text, blocks = render(card)
        await self._call("chat.update", channel=ref.channel, ts=ref.ts, text=text, blocks=blocks)

    async def note(self, thread: MessageRef, text: str) -> MessageRef:
        """A plain message in a thread (`text` is mrkdwn the caller has escaped)."""
        data = await self._call(
            "chat.postMessage", channel=thread.channel, thread_ts=thread.ts, text=text
        )
        return MessageRef(thread.channel, str(data["ts"]))

    async def whisper(self, channel: str, user: str, text: str) -> None:
        """Only `user` sees it (why their click did nothing, a command's answer)."""
        await self._call("chat.postEphemeral", channel=channel, user=user, text=text)

    async def group_members(self, group: str) -> frozenset[str]:
        """Members of a user group (`S…`), cached for a minute."""
        cached = self._groups.get(group)
        if cached and time.monotonic() - cached[0] < GROUP_CACHE_S:
            return cached[1]
        data = await self._call("usergroups.users.list", usergroup=group)
        members = frozenset(str(u) for u in data.get("users") or [])  # type: ignore[attr-defined]
        self._groups[group] = (time.monotonic(), members)
        return members
