"""Customers' ids in the company's systems, and importing customers from a file, on both
databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.customer_file import CustomerFileError, read_customer_file
from storage.customers import (
    CustomerRow,
    InvalidExternalId,
    external_id,
    get_customer_by_user_id,
    set_external_id,
    upsert_customers,
)
from storage.db import create_engine, session_factory, transaction
from storage.models import Customer
from tests.support.databases import DatabaseFactory


@pytest.fixture
async def db(databases: DatabaseFactory) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a fresh database with the demo company (cus_maria, cus_sam, cus_lee)."""
    engine = create_engine(databases.fresh())
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def _customer(db: async_sessionmaker[AsyncSession], user_id: str) -> Customer:
    async with db() as session:
        customer = await get_customer_by_user_id(session, user_id)
    assert customer is not None
    return customer


async def test_set_read_and_remove_an_id(db: async_sessionmaker[AsyncSession]) -> None:
    maria = await _customer(db, "cus_maria")
    assert maria.external_ids == {} and external_id(maria, "stripe") is None
    async with transaction(db) as session:
        maria = await get_customer_by_user_id(session, "cus_maria")
        assert maria is not None
        await set_external_id(session, maria, "stripe", "cus_123")
        await set_external_id(session, maria, "isp", "ISP-0042")
    maria = await _customer(db, "cus_maria")
    assert maria.external_ids == {"stripe": "cus_123", "isp": "ISP-0042"}
    assert external_id(maria, "isp") == "ISP-0042"

    async with transaction(db) as session:
        await set_external_id(session, maria, "stripe", None)
        await set_external_id(session, maria, "never_set", None)
    maria = await _customer(db, "cus_maria")
    assert maria.external_ids == {"isp": "ISP-0042"}
    assert external_id(Customer(user_id="x", external_ids={"isp": ""}), "isp") is None


@pytest.mark.parametrize(
    ("system", "value", "expected"),
    [
        ("Stripe", "cus_1", "lower-case"),
        ("9isp", "cus_1", "lower-case"),
        ("s" * 33, "cus_1", "lower-case"),
        ("stripe", "", "empty"),
        ("stripe", "x" * 129, "longer than 128"),
        ("stripe", "cus\n1", "control character"),
    ],
)
async def test_bad_systems_and_ids_are_refused(
    sqlite_databases: DatabaseFactory, system: str, value: str, expected: str
) -> None:
    engine = create_engine(sqlite_databases.fresh())
    try:
        async with session_factory(engine)() as session:
            maria = await get_customer_by_user_id(session, "cus_maria")
            assert maria is not None
            with pytest.raises(InvalidExternalId, match=expected):
                await set_external_id(session, maria, system, value)
            with pytest.raises(InvalidExternalId, match=expected):
                await upsert_customers(
                    session, [CustomerRow("cus_new", external_ids={system: value})]
                )
    finally:
        await engine.dispose()


async def test_upsert_adds_updates_and_merges_ids(db: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(db) as session:
        maria = await get_customer_by_user_id(session, "cus_maria")
        assert maria is not None
        await set_external_id(session, maria, "isp", "ISP-0042")
    rows = [
        CustomerRow("cus_maria", name="Maria G.", external_ids={"stripe": "cus_1"}),
        CustomerRow("cus_new", email="new@example.com", vip=True, external_ids={"isp": "ISP-7"}),
    ]
    async with transaction(db) as session:
        assert await upsert_customers(session, rows) == (1, 1)
    maria = await _customer(db, "cus_maria")
    assert (maria.name, maria.email, maria.vip) == ("Maria G.", "maria@example.com", False)
    assert maria.external_ids == {"isp": "ISP-0042", "stripe": "cus_1"}
    new = await _customer(db, "cus_new")
    assert (new.email, new.name, new.vip, new.external_ids) == (
        "new@example.com",
        None,
        True,
        {"isp": "ISP-7"},
    )


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


CSV = """user_id,email,name,vip,ext.stripe,ext.isp
cus_maria,,,yes,cus_1,
cus_new,new@example.com,New Person,,,ISP-9
"""


def test_csv_rows_leave_empty_cells_alone(tmp_path: Path) -> None:
    assert read_customer_file(_file(tmp_path, "c.csv", CSV)) == [
        CustomerRow("cus_maria", vip=True, external_ids={"stripe": "cus_1"}),
        CustomerRow("cus_new", "new@example.com", "New Person", None, {"isp": "ISP-9"}),
    ]


def test_json_lines_take_ext_as_an_object_or_dotted_keys(tmp_path: Path) -> None:
    text = (
        '{"user_id": "cus_a", "vip": true, "ext": {"stripe": "cus_1"}}\n'
        "\n"
        '{"user_id": "cus_b", "vip": "no", "ext.isp": "ISP-2", "email": null}\n'
    )
    assert read_customer_file(_file(tmp_path, "c.ndjson", text)) == [
        CustomerRow("cus_a", vip=True, external_ids={"stripe": "cus_1"}),
        CustomerRow("cus_b", vip=False, external_ids={"isp": "ISP-2"}),
    ]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("c.csv", CSV.replace(",yes,", ",maybe,"), ":2: vip: 'maybe'"),
        ("c.csv", CSV.replace("ext.isp", "ext.ISP"), ":1: ext.ISP: system 'ISP'"),
        ("c.csv", CSV.replace("vip,", "phone,"), ":1: phone: unknown column"),
        ("c.csv", CSV.replace("cus_new,", ","), ":3: user_id: missing"),
        ("c.csv", CSV + "cus_maria,,,,,\n", ":4: user_id: 'cus_maria' is also on line 2"),
        ("c.csv", CSV.replace("ISP-9", "ISP\x019"), ":3: ext.isp: the id contains a control"),
        ("c.csv", CSV.replace("new@example.com", "nobody"), ":3: email: 'nobody' is not"),
        ("c.jsonl", '{"user_id": "a"}\n{"user_id": "b", "ext": ["x"]}\n', ":2: ext: expected"),
        ("c.jsonl", '{"user_id": "a"}\n\n{"user_id": \n', ":3: json: "),
        ("c.jsonl", '{"user_id": "a", "ext": {"stripe": 5}}\n', ":1: ext.stripe: expected the id"),
        ("c.xlsx", "", "use a .csv, .jsonl or .ndjson file"),
        ("c.csv", "user_id\n", "no customers in the file"),
    ],
)
def test_a_bad_row_names_file_line_and_column(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    path = _file(tmp_path, name, text)
    with pytest.raises(CustomerFileError) as caught:
        read_customer_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}") and expected in message
    assert "\n" not in message
