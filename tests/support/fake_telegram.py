"""A fake Telegram Bot API: a small real HTTP server on 127.0.0.1 for the real aiogram client.

It implements the methods Switchboard calls (getMe, sendMessage, sendChatAction,
answerCallbackQuery, editMessageReplyMarkup, setWebhook, deleteWebhook, getWebhookInfo,
getUpdates), records every call with its decoded parameters, and can be told to fail:
429 with `retry_after`, or 403 "bot was blocked by the user" for a chat.
Point aiogram at it with `TelegramAPIServer.from_base(fake.url)` (TELEGRAM_API_URL).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.local_site import serve_locally

BOT_ID = 7000001
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Support", "username": "support_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    result: Any = None
    """What the fake answered (None for an injected failure)."""

    @property
    def chat_id(self) -> str | None:
        value = self.params.get("chat_id")
        return None if value is None else str(value)

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))


@dataclass
class Failure:
    method: str
    status: int
    description: str
    retry_after: int | None = None
    times: int = 1
    chat_id: str | None = None
    after: int = 0


@dataclass
class FakeTelegram:
    token: str
    calls: list[Call] = field(default_factory=list)
    call_times: list[float] = field(default_factory=list)
    """`time.monotonic()` of each call, parallel to `calls`."""
    webhook: dict[str, Any] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)
    _failures: list[Failure] = field(default_factory=list)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(5001))
    _runner: web.AppRunner | None = None
    url: str = ""

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._dispatch)
        self._runner, base = await serve_locally(app, access_log=None)
        self.url = base

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- test controls ---------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
        times: int = 1,
        chat_id: int | str | None = None,
        after: int = 0,
    ) -> None:
        """Answer `times` calls of `method` (to `chat_id`, if given) with an error, after
        letting `after` such calls succeed."""
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if status == 429
                else "Bad Request: failure injected by the test"
            )
        self._failures.append(
            Failure(
                method,
                status,
                description,
                retry_after,
                times,
                None if chat_id is None else str(chat_id),
                after,
            )
        )

    def block(self, chat_id: int | str) -> None:
        """From now on, sending to this chat answers 403 as when the user blocked the bot."""
        self.blocked.add(str(chat_id))

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (long polling)."""
        self._updates.append(update)
        self._new_update.set()

    def calls_of(self, method: str, chat_id: int | str | None = None, **params: str) -> list[Call]:
        """Calls of `method`, to `chat_id` and with these parameter values if given."""
        return [
            c
            for c in self.calls
            if c.method == method
            and (chat_id is None or c.chat_id == str(chat_id))
            and all(str(c.params.get(key)) == value for key, value in params.items())
        ]

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        return [c.text for c in self.calls_of("sendMessage", chat_id)]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        chat_id: int | str | None = None,
        timeout: float = 15,
        **params: str,
    ) -> list[Call]:
        """Wait until `method` was called (successfully or not) at least `count` times."""
        deadline = time.monotonic() + timeout
        while len(found := self.calls_of(method, chat_id, **params)) < count:
            if time.monotonic() > deadline:
                seen = [c.method for c in self.calls]
                raise AssertionError(f"{method} called {len(found)}/{count} times; calls: {seen}")
            await asyncio.sleep(0.02)
        return found

    # --- the API ---------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        form = await request.post()
        params = {key: _decode(str(value)) for key, value in form.items()}
        call = Call(method, params)
        self.calls.append(call)
        self.call_times.append(time.monotonic())
        failure = self._take_failure(method, params.get("chat_id"))
        if failure is not None:
            return _error(failure.status, failure.description, failure.retry_after)
        chat_id = params.get("chat_id")
        if chat_id is not None and str(chat_id) in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        result = handler(params) if method != "getUpdates" else await handler(params)
        call.result = result
        return web.json_response({"ok": True, "result": result})

    def _take_failure(self, method: str, chat_id: Any) -> Failure | None:
        for failure in self._failures:
            if failure.chat_id is not None and failure.chat_id != str(chat_id):
                continue
            if failure.method == method and failure.times > 0:
                if failure.after > 0:
                    failure.after -= 1
                    return None
                failure.times -= 1
                return failure
        return None

    def _api_getMe(self, _: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": BOT_USER,
            "text": params.get("text", ""),
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    def _api_sendChatAction(self, _: dict[str, Any]) -> bool:
        return True

    def _api_answerCallbackQuery(self, _: dict[str, Any]) -> bool:
        return True

    def _api_editMessageReplyMarkup(self, _: dict[str, Any]) -> bool:
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = dict(params)
        return True

    def _api_deleteWebhook(self, _: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _api_getWebhookInfo(self, _: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0))
        # Like Telegram: an offset confirms (forgets) every update below it.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._new_update.clear()
            timeout = min(float(params.get("timeout", 0)), 1.0)  # keep tests snappy
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                return []
        limit = int(params.get("limit", 100))
        return self._updates[:limit]


def _decode(value: str) -> Any:
    """aiogram sends scalars as strings and objects as JSON strings."""
    if value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


# --- updates as Telegram sends them ----------------------------------------------------

_update_ids = itertools.count(900_001)


def user(user_id: int, first_name: str = "Maria") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}


def message_update(
    user_id: int,
    text: str | None = None,
    *,
    message_id: int,
    update_id: int | None = None,
    chat_type: str = "private",
    chat_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": chat_id if chat_id is not None else user_id, "type": chat_type},
        "from": user(user_id),
    }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    message.update(extra or {})
    return {"update_id": update_id or next(_update_ids), "message": message}


def callback_update(
    user_id: int,
    *,
    data: str,
    message: dict[str, Any],
    query_id: str,
    update_id: int | None = None,
) -> dict[str, Any]:
    """A button press on `message` (a sendMessage result, with its reply_markup)."""
    return {
        "update_id": update_id or next(_update_ids),
        "callback_query": {
            "id": query_id,
            "from": user(user_id),
            "chat_instance": "ci-1",
            "message": message,
            "data": data,
        },
    }
