"""The demo company, Acme: customers, orders, charges and help-centre articles.

`load_demo` is idempotent: rows are keyed by their natural ids and only added once.
Maria's order 1042 failed twice and was then charged twice (the seed case); Sam's
order 2001 failed twice and was charged once (no duplicate).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Charge, Customer, KbArticle, Order, utcnow

CUSTOMERS = [
    ("cus_maria", "maria@example.com", "Maria Garcia", False),
    ("cus_sam", "sam@example.com", "Sam Taylor", False),
    ("cus_lee", "lee@example.com", "Lee Chen", True),
]

# (number, customer, status, total_cents, items, carrier, tracking, placed_days_ago, eta_days)
ORDERS = [
    ("1042", "cus_maria", "processing", 5990, "Wireless headphones", None, None, 1, 4),
    (
        "1038",
        "cus_maria",
        "delivered",
        2450,
        "Phone case, USB-C cable",
        "DHL",
        "DHL123456",
        20,
        -15,
    ),
    ("2001", "cus_sam", "shipped", 2400, "Coffee grinder", "UPS", "1Z999AA10123456784", 2, 2),
    ("3001", "cus_lee", "shipped", 12900, "Desk lamp", "DHL", "DHL987654", 3, 1),
]

# (charge id, customer, order, amount_cents, status, failure reason, minutes ago)
CHARGES = [
    ("ch_maria_1", "cus_maria", "1042", 5990, "failed", "card_declined", 26 * 60),
    ("ch_maria_2", "cus_maria", "1042", 5990, "failed", "card_declined", 26 * 60 - 3),
    ("ch_maria_3", "cus_maria", "1042", 5990, "succeeded", None, 26 * 60 - 6),
    ("ch_maria_4", "cus_maria", "1042", 5990, "succeeded", None, 26 * 60 - 7),
    ("ch_maria_0", "cus_maria", "1038", 2450, "succeeded", None, 20 * 24 * 60),
    ("ch_sam_1", "cus_sam", "2001", 2400, "failed", "insufficient_funds", 50 * 60),
    ("ch_sam_2", "cus_sam", "2001", 2400, "failed", "insufficient_funds", 50 * 60 - 10),
    ("ch_sam_3", "cus_sam", "2001", 2400, "succeeded", None, 48 * 60),
    ("ch_lee_1", "cus_lee", "3001", 12900, "succeeded", None, 3 * 24 * 60),
]

ARTICLES = [
    (
        "refund-policy",
        "Refunds and returns",
        "You can return any item within 30 days of delivery for a full refund. Refunds go back "
        "to the original payment method within 5 to 10 business days after we receive the "
        "return. Duplicate charges are refunded in full by our billing team.",
    ),
    (
        "shipping-times",
        "Shipping times and costs",
        "Standard shipping takes 3 to 5 business days and costs 4.90 EUR; it is free for orders "
        "over 50 EUR. Express shipping takes 1 to 2 business days and costs 9.90 EUR.",
    ),
    (
        "international-shipping",
        "International shipping",
        "We ship to all EU countries, the United Kingdom, Switzerland and Norway. "
        "International delivery takes 5 to 10 business days; customs fees may apply outside the EU.",
    ),
    (
        "reset-password",
        "Resetting your password",
        "To reset your password, open the sign-in page and choose 'Forgot password'. We email "
        "you a link that is valid for one hour. Check your spam folder if it does not arrive.",
    ),
    (
        "payment-methods",
        "Payment methods we accept",
        "We accept Visa, Mastercard, American Express, PayPal, Apple Pay and Google Pay. "
        "A failed payment attempt is never charged; your bank may show a temporary hold that "
        "disappears within a few days.",
    ),
    (
        "change-address",
        "Changing your delivery address",
        "You can change the delivery address of an order until it ships: open Orders in your "
        "account and choose 'Edit address'. After shipping, contact us and we will ask the "
        "carrier to redirect it.",
    ),
    (
        "opening-hours",
        "Customer service opening hours",
        "Our support team is available Monday to Friday, 8:00 to 20:00, and Saturday, 9:00 to "
        "14:00 (CET). The assistant answers around the clock.",
    ),
    (
        "warranty",
        "Warranty",
        "All products come with a two-year warranty against manufacturing defects. Keep your "
        "order number; we repair or replace the item free of charge.",
    ),
    (
        "close-account",
        "Closing your account",
        "To close your account and delete your data, ask our support team. We confirm your "
        "identity first and delete your data within 30 days, except invoices we must keep by law.",
    ),
    (
        "update-email",
        "Updating your email address",
        "Go to Account settings, choose Email, enter the new address and confirm it with the "
        "link we send. Your order history stays with your account.",
    ),
]


async def _customer_ids(session: AsyncSession) -> dict[str, int]:
    rows = (await session.exec(select(Customer))).all()
    return {c.user_id: c.id for c in rows if c.id is not None}


async def load_demo(session: AsyncSession, *, now: datetime | None = None) -> dict[str, int]:
    """Add what is missing of the demo company; returns counts of rows added per table."""
    now = now or utcnow()
    added = {"customers": 0, "orders": 0, "charges": 0, "articles": 0}
    existing = await _customer_ids(session)
    for user_id, email, name, vip in CUSTOMERS:
        if user_id not in existing:
            session.add(Customer(user_id=user_id, email=email, name=name, vip=vip))
            added["customers"] += 1
    await session.flush()
    customers = await _customer_ids(session)

    orders = {o.number: o for o in (await session.exec(select(Order))).all()}
    for number, user_id, status, total, items, carrier, tracking, days, eta in ORDERS:
        if number not in orders:
            order = Order(
                number=number,
                customer_id=customers[user_id],
                status=status,
                total_cents=total,
                items=items,
                carrier=carrier,
                tracking_number=tracking,
                placed_at=now - timedelta(days=days),
                eta=now + timedelta(days=eta),
            )
            session.add(order)
            orders[number] = order
            added["orders"] += 1
    await session.flush()

    charges = set((await session.exec(select(Charge.charge_id))).all())
    for charge_id, user_id, number, amount, status, reason, minutes in CHARGES:
        if charge_id not in charges:
            session.add(
                Charge(
                    charge_id=charge_id,
                    customer_id=customers[user_id],
                    order_id=orders[number].id,
                    amount_cents=amount,
                    status=status,
                    failure_reason=reason,
                    created_at=now - timedelta(minutes=minutes),
                )
            )
            added["charges"] += 1

    slugs = set((await session.exec(select(KbArticle.slug))).all())
    for slug, title, body in ARTICLES:
        if slug not in slugs:
            session.add(KbArticle(slug=slug, title=title, body=body, url=f"/help/{slug}"))
            added["articles"] += 1
    await session.flush()
    return added
