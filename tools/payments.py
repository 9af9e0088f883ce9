"""Payments: the customer's charges, duplicate detection and refunds.

Where the charges live is a provider (`PaymentsProvider`): the demo company's SQL tables
(`SqlPayments`) unless the policy names a connector (`providers: {payments: billing}`,
Stripe). The tools, their names and what workflows read from them are the same for all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.commerce import charge_by_charge_id, charges_for_customer, orders_by_ids
from tools.base import REGISTRY, Caller, ToolError, ToolSpec

DUPLICATE_WINDOW = timedelta(hours=24)
HISTORY = timedelta(days=30)


@dataclass(frozen=True)
class ChargeInfo:
    charge_id: str
    order_number: str | None
    amount_cents: int
    currency: str
    status: str
    """succeeded, failed, pending or refunded."""
    failure_reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class DuplicateCharge:
    """Successful charges for the same purchase; all but the first are duplicates."""

    order_number: str | None
    amount_cents: int
    currency: str
    charge_ids: tuple[str, ...]
    duplicate_ids: tuple[str, ...]

    @property
    def refundable_cents(self) -> int:
        return self.amount_cents * len(self.duplicate_ids)


@dataclass(frozen=True)
class RefundInfo:
    charge_id: str
    order_number: str | None
    amount_cents: int
    currency: str
    already_refunded: bool


class PaymentsProvider(Protocol):
    """Where the verified customer's charges are read and refunded."""

    async def charges(
        self, session: AsyncSession, caller: Caller, since: datetime
    ) -> list[ChargeInfo]:
        """The customer's charges since `since`, oldest first, failed attempts included."""
        ...

    async def refund(self, session: AsyncSession, caller: Caller, charge_id: str) -> RefundInfo:
        """Refund one of the customer's successful charges in full, once: a charge already
        refunded is reported as such, and a re-run turn sends the same idempotency key
        (`caller.idempotency_key`), so the provider makes one refund."""
        ...


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SqlPayments:
    """The demo provider: the demo company's `charges` and `orders` tables."""

    async def charges(
        self, session: AsyncSession, caller: Caller, since: datetime
    ) -> list[ChargeInfo]:
        assert caller.customer_id is not None
        charges = await charges_for_customer(session, caller.customer_id, since=since)
        orders = await orders_by_ids(session, [c.order_id for c in charges if c.order_id])
        return [
            ChargeInfo(
                charge_id=c.charge_id,
                order_number=orders[c.order_id].number if c.order_id in orders else None,
                amount_cents=c.amount_cents,
                currency=c.currency,
                status=c.status,
                failure_reason=c.failure_reason,
                created_at=_aware(c.created_at),
            )
            for c in charges
        ]

    async def refund(self, session: AsyncSession, caller: Caller, charge_id: str) -> RefundInfo:
        charge = await charge_by_charge_id(session, charge_id, for_update=True)
        if charge is None or charge.customer_id != caller.customer_id:
            raise ToolError(f"no charge {charge_id} on this customer's account")
        if charge.status not in ("succeeded", "refunded"):
            raise ToolError(f"charge {charge_id} was never collected ({charge.status})")
        already = charge.status == "refunded"
        if not already:
            charge.status = "refunded"
            session.add(charge)
        orders = await orders_by_ids(session, [charge.order_id] if charge.order_id else [])
        order = orders.get(charge.order_id) if charge.order_id else None
        return RefundInfo(
            charge.charge_id,
            order.number if order else None,
            charge.amount_cents,
            charge.currency,
            already,
        )


def find_duplicate_charges(charges: list[ChargeInfo]) -> list[DuplicateCharge]:
    """Group successful charges by purchase (order, or amount when there is no order) and
    report every run of more than one charge within 24 hours of the run's first. Runs, not
    the group's first charge: last month's bill of the same amount must not hide this
    month's bill taken twice."""
    groups: dict[tuple[str | None, int, str], list[ChargeInfo]] = defaultdict(list)
    for charge in charges:
        if charge.status == "succeeded":
            groups[(charge.order_number, charge.amount_cents, charge.currency)].append(charge)
    duplicates = []
    for (order_number, amount, currency), group in groups.items():
        group.sort(key=lambda c: c.created_at)
        runs: list[list[ChargeInfo]] = []
        for charge in group:
            if runs and charge.created_at - runs[-1][0].created_at <= DUPLICATE_WINDOW:
                runs[-1].append(charge)
            else:
                runs.append([charge])
        for close in runs:
            if len(close) > 1:
                ids = tuple(c.charge_id for c in close)
                duplicates.append(DuplicateCharge(order_number, amount, currency, ids, ids[1:]))
    return duplicates


def payment_tools(provider: PaymentsProvider, connector: str | None = None) -> dict[str, ToolSpec]:
    """The payments tools served by `provider` (`connector` names it in traces)."""

    async def list_charges(session: AsyncSession, caller: Caller) -> list[ChargeInfo]:
        """List the verified customer's card charges of the last 30 days, oldest first,
        including failed attempts (which were not charged)."""
        charges = await provider.charges(session, caller, datetime.now(UTC) - HISTORY)
        return sorted(charges, key=lambda c: c.created_at)

    async def find_duplicates(session: AsyncSession, caller: Caller) -> list[DuplicateCharge]:
        """Check the verified customer's recent charges for the same purchase charged more
        than once. Returns each duplicate with its order, amount and charge ids."""
        return find_duplicate_charges(await list_charges(session, caller))

    async def refund(session: AsyncSession, caller: Caller, *, charge_id: str) -> RefundInfo:
        """Refund one successful charge of the verified customer in full. Sensitive: runs
        only after a permitted staff member approved it. Refunding twice is a no-op."""
        return await provider.refund(session, caller, charge_id)

    specs = [
        ToolSpec("payments.list_charges", "read", False, list_charges, connector=connector),
        ToolSpec("payments.find_duplicates", "read", False, find_duplicates, connector=connector),
        ToolSpec("payments.refund", "sensitive", False, refund, connector=connector),
    ]
    return {spec.name: spec for spec in specs}


REGISTRY.update(payment_tools(SqlPayments()))
