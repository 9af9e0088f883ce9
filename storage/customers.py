"""Customers, their linked channel identities and web chat sessions."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Customer, Identity, WebchatSession

_SESSIONS = WebchatSession.__table__  # type: ignore[attr-defined]
_CUSTOMERS = Customer.__table__  # type: ignore[attr-defined]
_IDENTITIES = Identity.__table__  # type: ignore[attr-defined]


async def get_customer(session: AsyncSession, customer_id: int) -> Customer | None:
    return await session.get(Customer, customer_id)


_BY_USER_ID = select(Customer).where(col(Customer.user_id) == bindparam("user_id"))


#: Every inbound message needs only its customer's id: Core, no entity to load.
_ID_BY_USER_ID = select(_CUSTOMERS.c.id).where(_CUSTOMERS.c.user_id == bindparam("user_id"))
_ID_BY_IDENTITY = select(_IDENTITIES.c.customer_id).where(
    _IDENTITIES.c.channel == bindparam("channel"),
    _IDENTITIES.c.channel_user_id == bindparam("channel_user_id"),
)


async def customer_id_for(
    session: AsyncSession,
    *,
    user_id: str | None = None,
    channel: str = "",
    channel_user_id: str = "",
) -> int | None:
    """The customer's id: by the user id the channel verified, else by a linked identity."""
    if user_id:
        found = await session.exec(_ID_BY_USER_ID, params={"user_id": user_id})
    else:
        params = {"channel": channel, "channel_user_id": channel_user_id}
        found = await session.exec(_ID_BY_IDENTITY, params=params)
    customer_id: int | None = found.first()
    return customer_id


async def get_customer_by_user_id(session: AsyncSession, user_id: str) -> Customer | None:
    result = await session.exec(_BY_USER_ID, params={"user_id": user_id})
    return result.first()


async def link_identity(
    session: AsyncSession, *, customer: Customer, channel: str, channel_user_id: str
) -> Identity:
    result = await session.exec(
        select(Identity).where(
            Identity.channel == channel, Identity.channel_user_id == channel_user_id
        )
    )
    identity = result.first()
    if identity is None:
        identity = Identity(channel=channel, channel_user_id=channel_user_id, customer_id=0)
    assert customer.id is not None
    identity.customer_id = customer.id
    session.add(identity)
    await session.flush()
    return identity


async def create_webchat_session(
    session: AsyncSession,
    *,
    session_id: str,
    token_hash: str,
    customer_id: int | None,
    name: str | None,
) -> WebchatSession:
    row = WebchatSession(id=session_id, token_hash=token_hash, customer_id=customer_id, name=name)
    session.add(row)
    await session.flush()
    return row


class WebchatSessionRow(NamedTuple):
    id: str
    name: str | None
    customer_id: int | None
    """The verified customer; None for an anonymous visitor."""
    user_id: str | None


#: Built once, and Core rather than ORM (no entities to load): it runs before every
#: message a visitor sends (see storage/messages.py).
_WEBCHAT_SESSION = (
    select(_SESSIONS.c.id, _SESSIONS.c.name, _SESSIONS.c.customer_id, _CUSTOMERS.c.user_id)
    .select_from(_SESSIONS.outerjoin(_CUSTOMERS, _CUSTOMERS.c.id == _SESSIONS.c.customer_id))
    .where(_SESSIONS.c.token_hash == bindparam("token_hash"))
)


async def get_webchat_session_by_token_hash(
    session: AsyncSession, token_hash: str
) -> WebchatSessionRow | None:
    """The web chat session with this token and its verified customer's user id, in one
    query."""
    result = await session.exec(_WEBCHAT_SESSION, params={"token_hash": token_hash})
    row = result.first()
    return WebchatSessionRow(*row) if row is not None else None
