"""`POST /telegram/webhook`: check the secret, store the update, acknowledge.

Telegram sends the secret given to setWebhook in `X-Telegram-Bot-Api-Secret-Token`;
anything else is refused with 401 before the body is read. Handlers only insert into
the engine's inbox (`submit`), so the response goes out in milliseconds and the turn
runs afterwards; an error while storing answers 5xx, which makes Telegram retry.
"""

from __future__ import annotations

import hmac
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from fastapi import APIRouter, HTTPException, Request
from pydantic import ValidationError

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def create_webhook_router(*, dispatcher: Dispatcher, bot: Bot, secret: str | None) -> APIRouter:
    """`secret=None` (TELEGRAM_WEBHOOK_SECRET unset, e.g. a polling deployment) refuses
    every request: an unauthenticated webhook would let anyone speak as any customer."""
    router = APIRouter(tags=["telegram"])
    expected = secret.encode() if secret else None

    @router.post("/telegram/webhook", summary="Telegram Bot API webhook")
    async def telegram_webhook(request: Request) -> dict[str, Any]:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if expected is None:
            raise HTTPException(401, "the Telegram webhook is not enabled on this server")
        if not hmac.compare_digest(given, expected):
            raise HTTPException(401, f"missing or wrong {SECRET_HEADER}")
        try:
            payload = await request.json()
        except ValueError:
            raise HTTPException(400, "request body is not valid JSON") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            raise HTTPException(400, "not a Telegram update: update_id is missing")
        try:
            update = Update.model_validate(payload, context={"bot": bot})
        except ValidationError as exc:
            raise HTTPException(400, f"not a valid Telegram update: {_first(exc)}") from None
        await dispatcher.feed_update(bot, update)
        return {"ok": True}

    return router


def _first(exc: ValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "invalid"
    where = ".".join(str(part) for part in errors[0]["loc"])
    return f"{where}: {errors[0]['msg']}" if where else errors[0]["msg"]
