"""Customers, their linked channel identities, their ids in the company's systems and
web chat sessions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
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


# --- ids in the company's systems (what connectors send to Stripe, an ISP's API) ------

SYSTEM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_EXTERNAL_ID = 128
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class InvalidExternalId(ValueError):
    """A system name or an id that cannot be stored; the message says which and why."""


def check_system(system: str) -> str:
    if not SYSTEM_NAME.match(system):
        raise InvalidExternalId(
            f"system {system!r}: use a lower-case name like stripe or isp "
            "(a-z, 0-9, _; starts with a letter; at most 32)"
        )
    return system


def check_external_id(value: str) -> str:
    if not value:
        raise InvalidExternalId("the id is empty")
    if len(value) > MAX_EXTERNAL_ID:
        raise InvalidExternalId(f"the id is longer than {MAX_EXTERNAL_ID} characters")
    if _CONTROL.search(value):
        raise InvalidExternalId("the id contains a control character")
    return value


def external_id(customer: Customer, system: str) -> str | None:
    """The customer's id in that system; None when it has none (an empty one is none)."""
    return customer.external_ids.get(system) or None


async def set_external_id(
    session: AsyncSession, customer: Customer, system: str, value: str | None
) -> None:
    """Set the customer's id in `system`, or remove it (None)."""
    check_system(system)
    ids = dict(customer.external_ids)  # a new dict: SQLAlchemy sees reassignment, not mutation
    if value is None:
        ids.pop(system, None)
    else:
        ids[system] = check_external_id(value)
    customer.external_ids = ids
    session.add(customer)
    await session.flush()


@dataclass(frozen=True)
class CustomerRow:
    """One customer to import. None leaves the stored value alone (an empty cell)."""

    user_id: str
    email: str | None = None
    name: str | None = None
    vip: bool | None = None
    external_ids: dict[str, str] = field(default_factory=dict)
    """Merged into the stored ids: other systems' ids are kept."""


class Upserted(NamedTuple):
    added: int
    updated: int


_CHUNK = 500


async def upsert_customers(session: AsyncSession, rows: Sequence[CustomerRow]) -> Upserted:
    """Add the customers not known by `user_id`, update the others (in the caller's
    transaction). Rows are checked first, so a bad one writes nothing."""
    for row in rows:
        for system, value in row.external_ids.items():
            check_system(system)
            check_external_id(value)
    known: dict[str, Customer] = {}
    user_ids = list(dict.fromkeys(row.user_id for row in rows))
    for start in range(0, len(user_ids), _CHUNK):
        chunk = user_ids[start : start + _CHUNK]
        found = await session.exec(select(Customer).where(col(Customer.user_id).in_(chunk)))
        known.update((c.user_id, c) for c in found.all())
    added = updated = 0
    for row in rows:
        customer = known.get(row.user_id)
        if customer is None:
            customer = known[row.user_id] = Customer(user_id=row.user_id)
            added += 1
        else:
            updated += 1
        if row.email is not None:
            customer.email = row.email
        if row.name is not None:
            customer.name = row.name
        if row.vip is not None:
            customer.vip = row.vip
        if row.external_ids:
            customer.external_ids = {**customer.external_ids, **row.external_ids}
        session.add(customer)
    await session.flush()
    return Upserted(added, updated)
