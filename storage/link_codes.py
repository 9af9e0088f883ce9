"""One-time codes that link a chat account (Telegram, Slack) to a verified customer.

A code is issued to a customer who is signed in elsewhere (CLI, admin API, the shop's
website) and typed by them in the chat app. Only its SHA-256 is stored; it expires, and
once used it links exactly one chat account (the same account may redeem it again, so a
replayed message is harmless).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.customers import link_identity
from storage.models import Customer, LinkCode, utcnow

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""No 0/O, 1/I/L: people type these codes from another screen."""
CODE_LENGTH = 8
DEFAULT_TTL = timedelta(minutes=30)


def normalize(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(normalize(code).encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


async def issue_link_code(
    session: AsyncSession, customer: Customer, *, ttl: timedelta = DEFAULT_TTL
) -> tuple[str, datetime]:
    """A fresh code shown as XXXX-XXXX, and when it expires."""
    assert customer.id is not None
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    expires_at = utcnow() + ttl
    session.add(LinkCode(code_hash=_hash(raw), customer_id=customer.id, expires_at=expires_at))
    await session.flush()
    return f"{raw[:4]}-{raw[4:]}", expires_at


async def redeem_link_code(
    session: AsyncSession, code: str, *, channel: str, channel_user_id: str
) -> Customer | None:
    """Link the chat account to the code's customer; None if unknown, expired or taken."""
    if len(normalize(code)) != CODE_LENGTH:
        return None
    row = await session.get(LinkCode, _hash(code), with_for_update=True)
    if row is None:
        return None
    if row.used_at is not None:
        same = row.used_channel == channel and row.used_channel_user_id == channel_user_id
        return await session.get(Customer, row.customer_id) if same else None
    if _aware(row.expires_at) <= utcnow():
        return None
    customer = await session.get(Customer, row.customer_id)
    if customer is None:
        return None
    await link_identity(
        session, customer=customer, channel=channel, channel_user_id=channel_user_id
    )
    row.used_at = utcnow()
    row.used_channel = channel
    row.used_channel_user_id = channel_user_id
    session.add(row)
    await session.flush()
    return customer
