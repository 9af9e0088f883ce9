"""Admin API for a customer and their ids in the company's systems (what connectors send
to Stripe or an ISP's API). Any staff member may look; changing an id needs the admin
role or the admin token, since it decides whose account a connector acts on."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import customers
from storage.models import Customer
from switchboard.api.actors import AdminDep, AdminRoleDep
from switchboard.api.deps import SessionDep, WriteSessionDep
from switchboard.api.schemas import Public

router = APIRouter(prefix="/api/admin/customers", tags=["admin"], dependencies=[AdminDep])


class CustomerPublic(Public):
    id: int
    user_id: str
    email: str | None
    name: str | None
    vip: bool
    external_ids: dict[str, str]
    """System name → the customer's id there, e.g. `{"stripe": "cus_123"}`."""


class ExternalIdIn(BaseModel):
    id: str = Field(description="The customer's id in that system, e.g. cus_123.")


def _public(customer: Customer) -> CustomerPublic:
    assert customer.id is not None
    return CustomerPublic(
        id=customer.id,
        user_id=customer.user_id,
        email=customer.email,
        name=customer.name,
        vip=customer.vip,
        external_ids=dict(customer.external_ids),
    )


async def _found(session: AsyncSession, user_id: str) -> Customer:
    customer = await customers.get_customer_by_user_id(session, user_id)
    if customer is None:
        raise HTTPException(404, f"no customer with user id {user_id!r}")
    return customer


async def _set(session: AsyncSession, user_id: str, system: str, value: str | None) -> Customer:
    customer = await _found(session, user_id)
    try:
        await customers.set_external_id(session, customer, system, value)
    except customers.InvalidExternalId as exc:
        raise HTTPException(422, str(exc)) from None
    await session.commit()
    return customer


@router.get("/{user_id}")
async def get_customer(user_id: str, session: SessionDep) -> CustomerPublic:
    return _public(await _found(session, user_id))


@router.put("/{user_id}/external-ids/{system}")
async def put_external_id(
    user_id: str, system: str, body: ExternalIdIn, session: WriteSessionDep, _: AdminRoleDep
) -> CustomerPublic:
    """Set the customer's id in `system` (replacing any there was)."""
    return _public(await _set(session, user_id, system, body.id))


@router.delete("/{user_id}/external-ids/{system}", status_code=204)
async def delete_external_id(
    user_id: str, system: str, session: WriteSessionDep, _: AdminRoleDep
) -> Response:
    """Unlink the customer from `system` (nothing to do when they had no id there)."""
    await _set(session, user_id, system, None)
    return Response(status_code=204)
