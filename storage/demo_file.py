"""A demo company written in YAML: the customers, orders and charges an example directory
brings without Python (`examples/broadband/demo.yaml`).

The file sits beside its policy as `demo.yaml`, so `SWITCHBOARD_POLICY=<dir>/policy.yaml`
is all `switchboard demo load` and `switchboard eval` need to find it. Times are relative
(`placed_days_ago`, `minutes_ago`), so a demo never goes stale. Loading is idempotent, as
for the built-in company (`storage.demo`): rows are keyed by their natural ids and only
added once. Unknown keys and dangling references are errors naming file and key.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.customers import check_external_id, check_system
from storage.models import Charge, Customer, Order, utcnow

DEMO_FILE_NAME = "demo.yaml"


class DemoFileError(Exception):
    """The file is unreadable or wrong; one line per problem, each naming file and key."""


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DemoCustomer(_Row):
    user_id: str = Field(min_length=1, max_length=128)
    email: str | None = None
    name: str | None = None
    vip: bool = False
    ext: dict[str, str] = Field(default_factory=dict)
    """Their ids in the company's systems (`{isp: ISP-0042}`), for connectors."""

    @field_validator("ext")
    @classmethod
    def _ids(cls, ids: dict[str, str]) -> dict[str, str]:
        for system, value in ids.items():
            check_system(system)
            check_external_id(value)
        return ids


class DemoOrder(_Row):
    """Anything the business ships: a router, a set-top box, a SIM card."""

    number: str = Field(min_length=1, max_length=32)
    customer: str
    status: str
    items: str
    total_cents: int = 0
    currency: str | None = None
    """Unset: the file's `currency`."""
    carrier: str | None = None
    tracking_number: str | None = None
    placed_days_ago: float = 0
    eta_days: float | None = None
    """Days from now (negative: in the past, e.g. when it was delivered)."""


class DemoCharge(_Row):
    charge_id: str = Field(min_length=1, max_length=64)
    customer: str
    order: str | None = None
    """The order it paid for, if any (a monthly bill has none)."""
    amount_cents: int
    currency: str | None = None
    status: str = "succeeded"
    failure_reason: str | None = None
    minutes_ago: float = 0


class DemoData(_Row):
    currency: str = "EUR"
    kb: Path | None = None
    """The help-centre folder, relative to the file; imported like `kb import`."""
    customers: list[DemoCustomer] = Field(min_length=1)
    orders: list[DemoOrder] = Field(default_factory=list)
    charges: list[DemoCharge] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> DemoData:
        people = {c.user_id for c in self.customers}
        numbers = {o.number for o in self.orders}
        problems = [
            f"orders[{i}].customer: no customer {o.customer!r} in this file"
            for i, o in enumerate(self.orders)
            if o.customer not in people
        ]
        for i, charge in enumerate(self.charges):
            if charge.customer not in people:
                problems.append(f"charges[{i}].customer: no customer {charge.customer!r}")
            if charge.order is not None and charge.order not in numbers:
                problems.append(f"charges[{i}].order: no order {charge.order!r} in this file")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def demo_file_for(policy_path: Path) -> Path | None:
    """The demo company that goes with a policy: `demo.yaml` in its directory, if any."""
    candidate = policy_path.parent / DEMO_FILE_NAME
    return candidate if candidate.is_file() else None


def read_demo_file(path: Path) -> DemoData:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DemoFileError(f"{path}: {exc}") from None
    try:
        data = DemoData.model_validate(raw or {})
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"{path}: {key.lstrip('.') or 'file'}: {message}")
        raise DemoFileError("\n".join(lines)) from None
    if data.kb is not None:
        data = data.model_copy(update={"kb": (path.parent / data.kb).resolve()})
    return data


async def load_demo_file(
    session: AsyncSession, data: DemoData, *, now: datetime | None = None
) -> dict[str, int]:
    """Add what is missing of the file's company; returns counts of rows added per table."""
    now = now or utcnow()
    added = {"customers": 0, "orders": 0, "charges": 0}
    known = {c.user_id: c for c in (await session.exec(select(Customer))).all()}
    for person in data.customers:
        customer = known.get(person.user_id)
        if customer is None:
            fields = person.model_dump(exclude={"ext"})
            session.add(Customer(**fields, external_ids=dict(person.ext)))
            added["customers"] += 1
        elif person.ext.keys() - customer.external_ids.keys():
            # Ids added to the file later reach a loaded company; none is overwritten.
            customer.external_ids = {**person.ext, **customer.external_ids}
            session.add(customer)
    await session.flush()
    ids = {c.user_id: c.id for c in (await session.exec(select(Customer))).all()}

    orders = {o.number: o for o in (await session.exec(select(Order))).all()}
    for item in data.orders:
        if item.number in orders:
            continue
        customer_id = ids[item.customer]
        assert customer_id is not None
        order = Order(
            number=item.number,
            customer_id=customer_id,
            status=item.status,
            total_cents=item.total_cents,
            currency=item.currency or data.currency,
            items=item.items,
            carrier=item.carrier,
            tracking_number=item.tracking_number,
            placed_at=now - timedelta(days=item.placed_days_ago),
            eta=None if item.eta_days is None else now + timedelta(days=item.eta_days),
        )
        session.add(order)
        orders[item.number] = order
        added["orders"] += 1
    await session.flush()

    charges = set((await session.exec(select(Charge.charge_id))).all())
    for charge in data.charges:
        if charge.charge_id in charges:
            continue
        customer_id = ids[charge.customer]
        assert customer_id is not None
        session.add(
            Charge(
                charge_id=charge.charge_id,
                customer_id=customer_id,
                order_id=orders[charge.order].id if charge.order else None,
                amount_cents=charge.amount_cents,
                currency=charge.currency or data.currency,
                status=charge.status,
                failure_reason=charge.failure_reason,
                created_at=now - timedelta(minutes=charge.minutes_ago),
            )
        )
        added["charges"] += 1
    await session.flush()
    return added
