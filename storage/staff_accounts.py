"""Staff accounts and their console sessions.

Passwords are hashed with argon2id (argon2-cffi's defaults, rehashed when they change);
a session is a random token in an HttpOnly cookie, stored here only as its SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import StaffAccount, StaffNote, StaffRole, StaffSession, utcnow

SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD = 8
_hasher = PasswordHasher()
# Verifying against this when the e-mail is unknown keeps the answer's timing the same.
_DUMMY_HASH = _hasher.hash("not a real password")


class StaffExists(Exception):
    """A staff account with this e-mail is already there."""


class WeakPassword(ValueError):
    """The password is too short to be one."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def staff_exists(session: AsyncSession) -> bool:
    """Whether anyone could answer a handoff in the console (an active account)."""
    found = await session.exec(select(StaffAccount.id).where(col(StaffAccount.active)).limit(1))
    return found.first() is not None


async def staff_count(session: AsyncSession) -> int:
    return int((await session.exec(select(func.count(col(StaffAccount.id))))).one())


async def find_staff(session: AsyncSession, email: str) -> StaffAccount | None:
    result = await session.exec(
        select(StaffAccount).where(StaffAccount.email == normalise_email(email))
    )
    return result.first()


async def list_staff(session: AsyncSession) -> list[StaffAccount]:
    return list((await session.exec(select(StaffAccount).order_by(col(StaffAccount.id)))).all())


async def add_staff(
    session: AsyncSession, *, email: str, name: str, role: StaffRole, password: str
) -> StaffAccount:
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(f"the password needs at least {MIN_PASSWORD} characters")
    if await find_staff(session, email) is not None:
        raise StaffExists(f"a staff account for {normalise_email(email)} exists already")
    account = StaffAccount(
        email=normalise_email(email),
        name=name.strip() or normalise_email(email).split("@")[0],
        role=role,
        password_hash=_hasher.hash(password),
    )
    session.add(account)
    await session.flush()
    return account


async def set_password(session: AsyncSession, account: StaffAccount, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(f"the password needs at least {MIN_PASSWORD} characters")
    account.password_hash = _hasher.hash(password)
    session.add(account)
    await session.execute(delete(StaffSession).where(col(StaffSession.staff_id) == account.id))


async def check_password(session: AsyncSession, email: str, password: str) -> StaffAccount | None:
    """The active account when the password is right; None otherwise (same cost either way)."""
    account = await find_staff(session, email)
    try:
        _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if account is None or not account.active:
        return None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
        session.add(account)
    return account


async def open_session(session: AsyncSession, account: StaffAccount) -> str:
    """A new sign-in; returns the token for the cookie (never stored)."""
    assert account.id is not None
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=_token_hash(token),
            staff_id=account.id,
            expires_at=utcnow() + SESSION_LIFETIME,
        )
    )
    await session.flush()
    return token


async def staff_for_token(session: AsyncSession, token: str) -> StaffAccount | None:
    result = await session.exec(
        select(StaffAccount, StaffSession.expires_at)
        .join(StaffSession, col(StaffSession.staff_id) == col(StaffAccount.id))
        .where(StaffSession.token_hash == _token_hash(token))
    )
    row = result.first()
    if row is None:
        return None
    account, expires_at = row
    if _aware(expires_at) <= utcnow() or not account.active:
        return None
    return account


async def close_session(session: AsyncSession, token: str) -> None:
    await session.execute(
        delete(StaffSession).where(col(StaffSession.token_hash) == _token_hash(token))
    )


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- internal notes -------------------------------------------------------------------


async def add_note(
    session: AsyncSession, conversation_id: int, author: str, text: str
) -> StaffNote:
    note = StaffNote(conversation_id=conversation_id, author=author, text=text)
    session.add(note)
    await session.flush()
    return note


async def notes_for(session: AsyncSession, conversation_id: int) -> list[StaffNote]:
    result = await session.exec(
        select(StaffNote)
        .where(StaffNote.conversation_id == conversation_id)
        .order_by(col(StaffNote.id))
    )
    return list(result.all())
