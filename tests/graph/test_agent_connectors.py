"""The agent uses a connector's tools like the built-ins, through the real web chat API,
a scripted model and a real HTTP service: it sees the tool's own parameters and never the
customer, whatever it passes the customer bound is the verified one, and a sensitive
connector tool becomes an approval request, not a request to the company's system."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlmodel import select

from graph.policy import LLMPolicy
from storage.db import create_engine, session_factory, transaction
from storage.models import Customer
from tests.conftest import open_webchat
from tests.graph.test_agent import OTHER, start, write_policy
from tests.support.databases import DatabaseFactory
from tests.support.fake_openai import Call, Calls, FakeOpenAI, Say
from tests.support.fake_service import FakeService, Seen

TOKEN = "crm-token-5a4b3c"


def _plan(seen: Seen) -> Any:
    return {"plan": {"C-1": "Fast", "C-2": "Basic"}[seen.match["customer"]]}


@pytest.fixture
async def crm() -> AsyncIterator[FakeService]:
    fake = FakeService(token=TOKEN)
    fake.route("GET", "/customers/{customer}/plan", _plan)
    fake.route("POST", "/customers/{customer}/plan", lambda seen: {"plan": seen.body["plan"]})
    await fake.start()
    yield fake
    await fake.stop()


def _policy(tmp_path: Path, url: str) -> Path:
    path = write_policy(tmp_path)
    policy = yaml.safe_load(path.read_text())
    policy["connectors"] = {
        "crm": {
            "kind": "http",
            "base_url": url,
            "headers": {"Authorization": f"Bearer {TOKEN}"},
            "customer_ref": "crm",
            "tools": {
                "current_plan": {
                    "description": "The customer's plan.",
                    "path": "/customers/{customer}/plan",
                },
                "change_plan": {
                    "description": "Move the customer to another plan.",
                    "method": "POST",
                    "path": "/customers/{customer}/plan",
                    "parameters": {
                        "type": "object",
                        "properties": {"plan": {"type": "string", "enum": ["Basic", "Fast"]}},
                        "required": ["plan"],
                    },
                    "risk": "sensitive",
                },
            },
        }
    }
    built_ins = LLMPolicy().agent_tools
    policy.setdefault("llm", {})["agent_tools"] = [
        *built_ins,
        "crm.current_plan",
        "crm.change_plan",
    ]
    path.write_text(yaml.safe_dump(policy))
    return path


async def _link(url: str) -> None:
    engine = create_engine(url)
    async with transaction(session_factory(engine)) as session:
        for customer in (await session.exec(select(Customer))).all():
            ids = {"cus_maria": "C-1", "cus_sam": "C-2"}
            if customer.user_id in ids:
                customer.external_ids = {"crm": ids[customer.user_id]}
                session.add(customer)
    await engine.dispose()


async def test_the_agent_calls_a_connector_for_the_verified_customer_only(
    sqlite_databases: DatabaseFactory,
    fake_llm: FakeOpenAI,
    crm: FakeService,
    tmp_path: Path,
    admin_headers: dict[str, str],
) -> None:
    fake_llm.queue(
        OTHER,
        # The model tries to name someone else: the argument is not the tool's and is
        # dropped; the customer bound is Maria.
        Calls([Call("crm__current_plan", {"customer": "C-2", "customer_id": "C-2"})]),
        Say("You're on the Fast plan."),
        OTHER,
        Call("crm__change_plan", {"plan": "Basic"}),
        Say("I've asked our team to approve this change. I'll update you here."),
    )
    async with await start(sqlite_databases, fake_llm, _policy(tmp_path, crm.url)) as live:
        await _link(live.runtime.settings.database_url)
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            maria = await open_webchat(http, "cus_maria")
            first = await maria.say("which package do I actually have with you?")
            second = await maria.say("ok then put me on the cheaper one please")
            detail = await http.get(
                f"/api/admin/conversations/{first['conversation_id']}", headers=admin_headers
            )

    assert "Fast" in first["replies"][0]["text"]
    assert [s.path for s in crm.seen] == ["/customers/C-1/plan"]  # the change was not made
    assert "approve" in second["replies"][0]["text"]
    schemas = {t["function"]["name"]: t["function"] for t in fake_llm.requests[1]["tools"]}
    assert schemas["crm__current_plan"]["parameters"]["properties"] == {}
    assert schemas["crm__current_plan"]["description"] == "The customer's plan."
    assert set(schemas["crm__change_plan"]["parameters"]["properties"]) == {"plan"}
    traces = detail.json()["traces"]
    called = [c for t in traces for c in t["tool_calls"] if c["tool"] == "crm.current_plan"]
    assert called and called[0]["connector"] == "crm" and called[0]["status"] == "ok"
    assert "approvals.request" in traces[-1]["tools"]
