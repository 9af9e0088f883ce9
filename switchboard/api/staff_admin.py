"""Admin API for staff accounts (admins and the admin token only): who can sign in to the
console, and adding someone. `switchboard staff add` does the same from a shell."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from storage.models import StaffAccount, StaffRole
from storage.staff_accounts import MIN_PASSWORD, StaffExists, WeakPassword, add_staff, list_staff
from switchboard.api.actors import AdminRoleDep
from switchboard.api.deps import SessionDep, WriteSessionDep
from switchboard.api.schemas import Public, Timestamp

router = APIRouter(prefix="/api/admin/staff", tags=["admin"])


class NewStaff(BaseModel):
    email: str = Field(min_length=3, max_length=255, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field("", max_length=255)
    role: StaffRole = StaffRole.agent
    password: str = Field(min_length=MIN_PASSWORD, max_length=1024)


class StaffPublic(Public):
    """A staff account (never its password)."""

    id: int
    email: str
    name: str
    role: str = Field(description="agent, approver or admin")
    active: bool
    created_at: Timestamp


class StaffList(Public):
    staff: list[StaffPublic]


def _staff(account: StaffAccount) -> StaffPublic:
    return StaffPublic(
        id=account.id,
        email=account.email,
        name=account.name,
        role=str(account.role),
        active=account.active,
        created_at=account.created_at.isoformat(),
    )


@router.get("")
async def staff_list(session: SessionDep, _: AdminRoleDep) -> StaffList:
    return StaffList(staff=[_staff(a) for a in await list_staff(session)])


@router.post("", status_code=201)
async def staff_add(body: NewStaff, session: WriteSessionDep, _: AdminRoleDep) -> StaffPublic:
    try:
        account = await add_staff(
            session, email=body.email, name=body.name, role=body.role, password=body.password
        )
    except StaffExists as exc:
        raise HTTPException(409, str(exc)) from None
    except WeakPassword as exc:
        raise HTTPException(422, str(exc)) from None
    await session.commit()
    return _staff(account)
