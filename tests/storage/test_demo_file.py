"""A demo company in YAML: read with errors that name file and key, loaded idempotently."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import transaction
from storage.demo_file import DemoFileError, demo_file_for, load_demo_file, read_demo_file
from storage.models import Charge, Customer, Order

FILE = """
currency: GBP
kb: help
customers:
  - {user_id: cus_a, name: A}
orders:
  - {number: "50001", customer: cus_a, status: shipped, items: Hub, eta_days: 2}
charges:
  - {charge_id: dd_1, customer: cus_a, amount_cents: 3000, minutes_ago: 60}
  - {charge_id: ch_2, customer: cus_a, order: "50001", amount_cents: 0, currency: EUR}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_beside_the_policy_is_its_demo_company(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    assert demo_file_for(policy) is None
    path = _write(tmp_path, FILE)
    assert demo_file_for(policy) == path
    assert read_demo_file(path).kb == (tmp_path / "help").resolve()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (FILE.replace("items: Hub", "item: Hub"), "orders[0].item: Extra inputs"),
        (FILE.replace("customer: cus_a, status", "customer: cus_b, status"), "no customer 'cus_b'"),
        (FILE.replace('order: "50001"', 'order: "404"'), "charges[1].order: no order '404'"),
        ("customers: []\n", "customers: List should have at least 1 item"),
    ],
)
def test_mistakes_name_the_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(DemoFileError) as caught:
        read_demo_file(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert expected in str(caught.value)


async def test_loading_twice_adds_once(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    data = read_demo_file(_write(tmp_path, FILE))
    async with transaction(sessions) as session:
        assert await load_demo_file(session, data) == {"customers": 1, "orders": 1, "charges": 2}
    async with transaction(sessions) as session:
        assert await load_demo_file(session, data) == {"customers": 0, "orders": 0, "charges": 0}
        customer = (await session.exec(select(Customer).where(Customer.user_id == "cus_a"))).one()
        order = (await session.exec(select(Order).where(Order.number == "50001"))).one()
        charges = (
            await session.exec(
                select(Charge)
                .where(col(Charge.charge_id).in_(["dd_1", "ch_2"]))
                .order_by(col(Charge.charge_id))
            )
        ).all()
    assert (order.customer_id, order.currency, order.eta is not None) == (customer.id, "GBP", True)
    assert [(c.charge_id, c.currency, c.order_id) for c in charges] == [
        ("ch_2", "EUR", order.id),
        ("dd_1", "GBP", None),
    ]


async def test_customers_bring_their_ids_in_the_company_systems(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    plain = read_demo_file(_write(tmp_path, FILE))
    async with transaction(sessions) as session:
        await load_demo_file(session, plain)
    with_ids = FILE.replace(
        "{user_id: cus_a, name: A}",
        '{user_id: cus_a, name: A, ext: {isp: "ISP-0042"}}\n'
        '  - {user_id: cus_b, ext: {isp: "ISP-0043", stripe: cus_9}}',
    )
    data = read_demo_file(_write(tmp_path, with_ids))
    assert data.customers[0].ext == {"isp": "ISP-0042"}
    async with transaction(sessions) as session:
        assert (await load_demo_file(session, data))["customers"] == 1
        loaded = (
            await session.exec(
                select(Customer)
                .where(col(Customer.user_id).in_(["cus_a", "cus_b"]))
                .order_by(col(Customer.user_id))
            )
        ).all()
    assert [c.external_ids for c in loaded] == [
        {"isp": "ISP-0042"},
        {"isp": "ISP-0043", "stripe": "cus_9"},
    ]

    bad = _write(tmp_path, FILE.replace("name: A}", "name: A, ext: {ISP: x}}"))
    with pytest.raises(DemoFileError, match=r"customers\[0\]\.ext: system 'ISP'"):
        read_demo_file(bad)
