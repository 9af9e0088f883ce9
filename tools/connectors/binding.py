"""The verified customer as a connector sees them: read from our database by the id the
engine verified (`Caller.customer_id`), never from anything the customer or a model wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.customers import get_customer
from tools.base import Caller, NotVerified, ToolError


class NotAvailable(ToolError):
    """This customer has no account in the connector's system (no external id for it)."""

    status = "not_available"


@dataclass(frozen=True)
class BoundCustomer:
    id: int
    user_id: str
    email: str | None
    name: str | None
    ext: dict[str, str]

    def ref(self, system: str, tool: str) -> str:
        """The customer's id in `system`; `NotAvailable` when they have none (a call with
        an empty id must never be made)."""
        value = (self.ext.get(system) or "").strip()
        if not value:
            raise NotAvailable(f"{tool} is not available for your account")
        return value

    def value(self, source: str, tool: str) -> Any:
        """`customer.email`, `customer.ext.isp`, ...: a `bind:` source (checked at load)."""
        field = source.removeprefix("customer.")
        if field.startswith("ext."):
            return self.ref(field.removeprefix("ext."), tool)
        found = getattr(self, field)
        if found is None or found == "":
            raise NotAvailable(f"{tool} is not available for your account")
        return found

    def as_template(self, system: str | None) -> dict[str, Any]:
        """What a body or query template may read as `customer`."""
        fields = {"user_id": self.user_id, "email": self.email, "name": self.name}
        return fields | {"id": self.ext.get(system, "") if system else ""}


async def bound_customer(session: AsyncSession, caller: Caller, tool: str) -> BoundCustomer:
    if caller.customer_id is None:
        raise NotVerified(f"{tool} needs a verified customer")
    customer = await get_customer(session, caller.customer_id)
    if customer is None or customer.id is None:
        raise NotVerified(f"{tool} needs a verified customer")
    bound = BoundCustomer(
        id=customer.id,
        user_id=customer.user_id,
        email=customer.email,
        name=customer.name,
        ext=dict(customer.external_ids or {}),
    )
    # The read is over: its connection goes back to the pool before the remote call.
    await session.rollback()
    return bound
