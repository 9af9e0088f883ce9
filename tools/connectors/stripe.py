"""Stripe as the payments provider (`kind: stripe`), with the official SDK.

The bound customer is their Stripe customer id (`ext.stripe`, from our database). Charges
are listed for that customer only, and a refund is made only for a charge whose
`customer` is that id, under Stripe's own idempotency key derived from the inbound
message, so a re-run turn or a repeated approval refunds once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import stripe
from sqlmodel.ext.asyncio.session import AsyncSession

from tools.base import Caller, ToolError, ToolSpec
from tools.connectors.binding import bound_customer
from tools.connectors.config import StripeConnector
from tools.connectors.resilience import CircuitBreaker, Rejected, Unavailable
from tools.payments import ChargeInfo, RefundInfo

MAX_CHARGES = 100
"""A support question is about recent payments: enough pages for a busy month, no more."""


class NoSuchCharge(Rejected):
    """Stripe has no charge of that id (`resource_missing`)."""


class AlreadyRefunded(Rejected):
    """Someone refunded the charge between our read and our refund."""


_MEANINGFUL: dict[str, type[Rejected]] = {
    "resource_missing": NoSuchCharge,
    "charge_already_refunded": AlreadyRefunded,
}


class StripeService:
    def __init__(self, name: str, config: StripeConnector) -> None:
        self.name = name
        self.config = config
        self.breaker = CircuitBreaker(name, config.breaker)
        self.http = stripe.HTTPXClient(timeout=config.timeout_s)
        self.client = stripe.StripeClient(
            config.api_key.get_secret_value(),
            base_addresses={"api": config.api_base} if config.api_base else None,
            http_client=self.http,
            max_network_retries=config.retries,
        )

    def specs(self) -> dict[str, ToolSpec]:
        return {}  # it serves the payments tools (`providers: {payments: <name>}`)

    def payments(self) -> StripePayments:
        return StripePayments(self)

    async def check(self) -> str:
        balance = await self.call("check", lambda: self.client.v1.balance.retrieve_async())
        currencies = sorted({entry.currency.upper() for entry in balance.available})
        return f"balance read ({', '.join(currencies) or 'no funds'})"

    async def call(self, tool: str, request: Any) -> Any:
        """One SDK call through the breaker, its errors as ours (never with the key)."""

        async def attempt() -> Any:
            try:
                return await request()
            except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
                raise Unavailable(
                    f"{tool}: could not reach Stripe ({type(exc).__name__})"
                ) from None
            except stripe.AuthenticationError:
                raise Rejected(f"{tool}: Stripe refused the API key") from None
            except stripe.StripeError as exc:
                status = exc.http_status or 0
                if exc.code in _MEANINGFUL:
                    raise _MEANINGFUL[exc.code](f"{tool}: {exc.code}") from None
                if status >= 500 or status == 0:
                    raise Unavailable(f"{tool}: Stripe answered {status or 'nothing'}") from None
                reason = (exc.user_message or "").splitlines()[0][:120] if exc.user_message else ""
                raise Rejected(
                    f"{tool}: Stripe refused the request ({status}{': ' + reason if reason else ''})"
                ) from None

        return await self.breaker.call(tool, attempt)

    async def close(self) -> None:
        await self.http.close_async()


class StripePayments:
    """`PaymentsProvider` over Stripe charges (a failed payment attempt is a failed charge
    there too, so charges alone answer "failed twice, charged once")."""

    def __init__(self, service: StripeService) -> None:
        self.service = service

    async def _stripe_id(self, session: AsyncSession, caller: Caller, tool: str) -> str:
        customer = await bound_customer(session, caller, tool)
        return customer.ref(self.service.config.customer_ref, tool)

    async def charges(
        self, session: AsyncSession, caller: Caller, since: datetime
    ) -> list[ChargeInfo]:
        tool = "payments.list_charges"
        stripe_id = await self._stripe_id(session, caller, tool)
        params: dict[str, Any] = {
            "customer": stripe_id,
            "created": {"gte": int(since.timestamp())},
            "limit": MAX_CHARGES,
        }

        async def listed() -> list[Any]:
            page = await self.service.client.v1.charges.list_async(params)  # type: ignore[arg-type]
            found: list[Any] = []
            async for charge in page.auto_paging_iter():
                found.append(charge)
                if len(found) >= MAX_CHARGES:
                    break
            return found

        charges = await self.service.call(tool, listed)
        # The filter is Stripe's; the check is ours: nothing of another customer is used.
        return sorted(
            (_charge_info(c) for c in charges if c.customer == stripe_id),
            key=lambda c: c.created_at,
        )

    async def refund(self, session: AsyncSession, caller: Caller, charge_id: str) -> RefundInfo:
        tool = "payments.refund"
        stripe_id = await self._stripe_id(session, caller, tool)
        client = self.service.client
        try:
            charge = await self.service.call(
                tool, lambda: client.v1.charges.retrieve_async(charge_id)
            )
        except NoSuchCharge:
            raise ToolError(f"no charge {charge_id} on this customer's account") from None
        if charge.customer != stripe_id:
            raise ToolError(f"no charge {charge_id} on this customer's account")
        info = _charge_info(charge)
        if charge.refunded:
            return _refund_info(info, already=True)
        if charge.status != "succeeded" or not charge.paid or not charge.captured:
            state = charge.status if charge.status != "succeeded" else "not captured"
            raise ToolError(f"charge {charge_id} was never collected ({state})")
        key = caller.idempotency_key(f"payments.refund:{charge_id}")
        try:
            await self.service.call(
                tool,
                lambda: client.v1.refunds.create_async(
                    {"charge": charge_id}, {"idempotency_key": key}
                ),
            )
        except AlreadyRefunded:  # refunded meanwhile, elsewhere: the outcome stands
            return _refund_info(info, already=True)
        return _refund_info(info, already=False)


def _charge_info(charge: Any) -> ChargeInfo:
    metadata = charge.metadata.to_dict() if charge.metadata else {}
    status = "refunded" if charge.refunded else charge.status
    if status == "succeeded" and charge.captured is False:
        status = "pending"  # authorised, not taken: nothing to refund or to call double
    return ChargeInfo(
        charge_id=charge.id,
        order_number=metadata.get("order_number") or None,
        amount_cents=charge.amount,
        currency=charge.currency.upper(),
        status=status,
        failure_reason=charge.failure_code or charge.failure_message,
        created_at=datetime.fromtimestamp(charge.created, UTC),
    )


def _refund_info(info: ChargeInfo, *, already: bool) -> RefundInfo:
    return RefundInfo(info.charge_id, info.order_number, info.amount_cents, info.currency, already)
