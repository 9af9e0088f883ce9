"""The http connector against a real HTTP service on 127.0.0.1: the customer bound from
our database, arguments checked before any request, writes made once per inbound message,
failures retried, broken off and reported honestly, secrets kept out of what we record."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

import tools.catalog  # noqa: F401  (registers the built-in tools)
from graph.policy import Policy
from storage.db import create_engine, session_factory
from tests.support.callers import callers_for
from tests.support.databases import DatabaseFactory
from tests.support.fake_service import FakeService, Seen
from tools.arguments import InvalidArguments, arguments_schema
from tools.base import Caller, NeedsApproval, NotVerified, ToolBox, ToolError
from tools.connectors import Connections, open_connectors
from tools.connectors.binding import NotAvailable
from tools.connectors.config import ConnectorError, HttpConnector, Providers
from tools.connectors.resilience import Rejected, Unavailable

TOKEN = "tok-9f8e7d6c5b4a"
DATA = Path(__file__).parent / "data"
DEFAULT_POLICY = Path(__file__).parents[2] / "switchboard" / "default_policy.yaml"
PLANS = {"ISP-0042": "Fast", "ISP-0077": "Basic"}


def _plan(seen: Seen) -> Any:
    customer = seen.match["customer"]
    if customer not in PLANS:
        return 404, {"error": "no such customer"}
    return {"plan": PLANS[customer], "monthly_cents": 3500}


def _changed(seen: Seen) -> Any:
    return {"plan": seen.body["plan"], "from": "next billing period"}


@pytest.fixture
async def service() -> AsyncIterator[FakeService]:
    fake = FakeService(token=TOKEN)
    fake.route("GET", "/customers/{customer}/plan", _plan)
    fake.route("POST", "/customers/{customer}/plan", _changed)
    fake.route("GET", "/tickets/{ticket}", lambda seen: {"ticket": seen.match["ticket"]})
    fake.route("GET", "/status/{postcode}", lambda seen: {"faults": []})
    fake.route("GET", "/search", lambda seen: {"q": seen.query})
    await fake.start()
    yield fake
    await fake.stop()


def isp_config(url: str, **overrides: Any) -> HttpConnector:
    raw: dict[str, Any] = {
        "kind": "http",
        "base_url": url,
        "headers": {"Authorization": f"Bearer {TOKEN}"},
        "timeout_s": 2,
        "customer_ref": "isp",
        "tools": {
            "current_plan": {
                "description": "The customer's broadband plan and its monthly price.",
                "path": "/customers/{customer}/plan",
            },
            "change_plan": {
                "description": "Move the customer to another plan.",
                "method": "POST",
                "path": "/customers/{customer}/plan",
                "parameters": {
                    "type": "object",
                    "properties": {"plan": {"type": "string", "enum": ["Basic", "Fast", "Ultra"]}},
                    "required": ["plan"],
                },
                "body": {"plan": "{{ args.plan }}", "email": "{{ customer.email }}"},
                "risk": "sensitive",
            },
            "set_plan": {
                "method": "POST",
                "path": "/customers/{customer}/plan",
                "parameters": {
                    "type": "object",
                    "properties": {"plan": {"type": "string"}},
                    "required": ["plan"],
                },
                "risk": "write",
            },
            "ticket": {
                "path": "/tickets/{ticket}",
                "parameters": {
                    "type": "object",
                    "properties": {"ticket": {"type": "string"}},
                    "required": ["ticket"],
                },
            },
            "search": {
                "path": "/search",
                "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
                "public": True,
            },
        },
    }
    raw.update(overrides)
    return HttpConnector.model_validate(raw)


IDS = {"cus_maria": {"isp": "ISP-0042"}, "cus_sam": {"isp": "ISP-0077", "stripe": "cus_x"}}


@pytest.fixture
async def sessions(databases: DatabaseFactory) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(databases.fresh())
    yield session_factory(engine)
    await engine.dispose()


async def _connected(config: HttpConnector) -> Any:
    return open_connectors({"isp": config}, Providers(), DATA)


async def test_a_read_is_made_for_the_bound_customer(
    sessions: async_sessionmaker[AsyncSession], service: FakeService
) -> None:
    callers = await callers_for(sessions, IDS)
    async with await _connected(isp_config(service.url)) as connections:
        box = ToolBox(sessions, callers["cus_maria"], connections.catalog)
        plan = await box.call("isp.current_plan")

    assert plan == {"plan": "Fast", "monthly_cents": 3500}
    [seen] = service.seen
    assert seen.path == "/customers/ISP-0042/plan"
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert "idempotency-key" not in seen.headers  # reads carry none
    [entry] = box.log
    assert entry["connector"] == "isp" and entry["tool"] == "isp.current_plan"
    assert TOKEN not in str(box.log)


async def test_no_id_in_that_system_means_not_available_and_no_request(
    sessions: async_sessionmaker[AsyncSession], service: FakeService
) -> None:
    callers = await callers_for(sessions, IDS)
    async with await _connected(isp_config(service.url)) as connections:
        stranger = next(c for user, c in callers.items() if user not in IDS)
        with pytest.raises(NotAvailable, match="not available for your account"):
            await ToolBox(sessions, stranger, connections.catalog).call("isp.current_plan")
        anonymous = Caller(stranger.conversation_id, stranger.message_id, "webchat", None)
        with pytest.raises(NotVerified):
            await ToolBox(sessions, anonymous, connections.catalog).call("isp.current_plan")
        public = await ToolBox(sessions, anonymous, connections.catalog).call(
            "isp.search", q="outage"
        )
    assert public == {"q": {"q": "outage"}}
    assert [s.path for s in service.seen] == ["/search"]


async def test_arguments_are_checked_and_encoded_before_any_request(
    sessions: async_sessionmaker[AsyncSession], service: FakeService
) -> None:
    callers = await callers_for(sessions, IDS)
    async with await _connected(isp_config(service.url)) as connections:
        box = ToolBox(sessions, callers["cus_maria"], connections.catalog)
        with pytest.raises(InvalidArguments, match="plan"):
            await box.call_approved("isp.change_plan", plan="Gigabit")
        with pytest.raises(InvalidArguments):
            await box.call("isp.ticket", ticket="..")
        assert service.seen == []
        found = await box.call("isp.ticket", ticket="../../customers/ISP-0077/plan")
        await box.call("isp.ticket", ticket="T 1?x=1#y", customer="ISP-0077")

    assert found == {"ticket": "../../customers/ISP-0077/plan"}  # one segment, as given
    assert service.seen[0].path == "/tickets/..%2F..%2Fcustomers%2FISP-0077%2Fplan"
    assert service.seen[1].path == "/tickets/T%201%3Fx%3D1%23y"
    assert service.seen[1].query == {}  # an undeclared `customer` argument is not sent


async def test_a_write_is_made_once_per_message_and_purpose(
    sessions: async_sessionmaker[AsyncSession], service: FakeService
) -> None:
    callers = await callers_for(sessions, IDS)
    maria = callers["cus_maria"]
    async with await _connected(isp_config(service.url)) as connections:
        first = await ToolBox(sessions, maria, connections.catalog).call(
            "isp.set_plan", plan="Ultra"
        )
        # The same turn re-run (a crash, a webhook retry): the same key, no second effect.
        again = await ToolBox(sessions, maria, connections.catalog).call(
            "isp.set_plan", plan="Ultra"
        )
        later = Caller(maria.conversation_id, maria.message_id + 1000, "webchat", maria.customer_id)
        await ToolBox(sessions, later, connections.catalog).call("isp.set_plan", plan="Ultra")

    assert first == again == {"plan": "Ultra", "from": "next billing period"}
    keys = [s.idempotency_key for s in service.seen]
    assert keys[0] == keys[1] and keys[0] != keys[2] and all(keys)
    assert keys[0].startswith(f"msg:{maria.message_id}:isp.set_plan:")
    assert len(service.effects) == 2


async def test_a_sensitive_tool_needs_an_approval(
    sessions: async_sessionmaker[AsyncSession], service: FakeService
) -> None:
    callers = await callers_for(sessions, IDS)
    async with await _connected(isp_config(service.url)) as connections:
        box = ToolBox(sessions, callers["cus_maria"], connections.catalog)
        with pytest.raises(NeedsApproval):
            await box.call("isp.change_plan", plan="Ultra")
        assert service.seen == []
        changed = await box.call_approved("isp.change_plan", plan="Ultra")

    assert changed["plan"] == "Ultra"
    assert service.seen[0].body == {"plan": "Ultra", "email": "maria@example.com"}
    assert service.seen[0].idempotency_key


async def test_failures_are_retried_then_reported_and_the_breaker_opens(
    sessions: async_sessionmaker[AsyncSession], service: FakeService
) -> None:
    callers = await callers_for(sessions, IDS)
    config = isp_config(
        service.url, timeout_s=0.3, retries=1, breaker={"failures": 2, "cooldown_s": 60}
    )
    async with await _connected(config) as connections:
        box = ToolBox(sessions, callers["cus_maria"], connections.catalog)
        service.fail_next(1, 503)
        assert (await box.call("isp.current_plan"))["plan"] == "Fast"  # retried once
        assert len(service.seen) == 2

        service.fail_next(2, "stall")
        with pytest.raises(Unavailable, match=r"no answer within 0\.3 s"):
            await box.call("isp.current_plan")
        service.fail_next(2, 502)
        with pytest.raises(Unavailable, match="answered 502"):
            await box.call("isp.current_plan")
        before = len(service.seen)
        with pytest.raises(Unavailable, match="isp is unavailable right now"):
            await box.call("isp.current_plan")
        assert len(service.seen) == before  # open: the system is left alone

    assert TOKEN not in str(box.log)


async def test_refusals_and_oversized_answers(
    sessions: async_sessionmaker[AsyncSession], service: FakeService
) -> None:
    callers = await callers_for(sessions, IDS)
    async with await _connected(isp_config(service.url, max_response_kb=64)) as connections:
        box = ToolBox(sessions, callers["cus_maria"], connections.catalog)
        service.fail_next(1, 400)
        with pytest.raises(Rejected, match=r"refused the request \(400: down\)"):
            await box.call("isp.current_plan")
        service.fail_next(1, "big")
        with pytest.raises(Rejected, match="larger than 64 KB"):
            await box.call("isp.current_plan")
        wrong_token = isp_config(service.url, headers={"Authorization": "Bearer nope"})
    async with await _connected(wrong_token) as connections:
        box = ToolBox(sessions, callers["cus_maria"], connections.catalog)
        with pytest.raises(Rejected, match="401") as refused:
            await box.call("isp.current_plan")
    assert "nope" not in str(refused.value) and "nope" not in str(box.log)


async def test_a_missing_record_on_a_read_is_nothing(
    sessions: async_sessionmaker[AsyncSession], service: FakeService
) -> None:
    callers = await callers_for(sessions, {"cus_maria": {"isp": "ISP-9999"}})
    async with await _connected(isp_config(service.url)) as connections:
        box = ToolBox(sessions, callers["cus_maria"], connections.catalog)
        assert await box.call("isp.current_plan") is None


def test_the_model_sees_the_arguments_never_the_customer(service: FakeService) -> None:
    config = isp_config("http://127.0.0.1:9")
    from tools.connectors.http import HttpService

    specs = HttpService("isp", config, dict(config.tools)).specs()
    schema = arguments_schema(specs["isp.change_plan"])
    assert schema["properties"] == {"plan": {"type": "string", "enum": ["Basic", "Fast", "Ultra"]}}
    assert arguments_schema(specs["isp.current_plan"])["properties"] == {}
    assert specs["isp.change_plan"].description == "Move the customer to another plan."


async def test_tools_from_an_openapi_document(
    sessions: async_sessionmaker[AsyncSession], service: FakeService
) -> None:
    callers = await callers_for(sessions, IDS)
    config = HttpConnector.model_validate(
        {
            "kind": "http",
            "base_url": service.url,
            "headers": {"Authorization": f"Bearer {TOKEN}"},
            "customer_ref": "isp",
            "customer_param": "customer_id",
            "openapi": "isp_openapi.yaml",
            "operations": {
                "currentPlan": {"risk": "read"},
                "changePlan": {"risk": "write"},
                "areaStatus": {"public": True},
            },
        }
    )
    async with await _connected(config) as connections:
        spec = connections.catalog["isp.changePlan"]
        assert arguments_schema(spec)["properties"] == {
            "notify": {"type": "boolean"},
            "plan": {"type": "string", "enum": ["Basic", "Fast", "Ultra"]},
        }
        box = ToolBox(sessions, callers["cus_sam"], connections.catalog)
        assert (await box.call("isp.currentPlan"))["plan"] == "Basic"
        await box.call("isp.changePlan", plan="Fast", notify=True)
        with pytest.raises(InvalidArguments):
            await box.call("isp.areaStatus", postcode="../../x")
        await box.call("isp.areaStatus", postcode="SW1A 1AA")

    assert [s.path for s in service.seen] == [
        "/customers/ISP-0077/plan",
        "/customers/ISP-0077/plan",
        "/status/SW1A%201AA",
    ]
    assert service.seen[1].body == {"plan": "Fast"} and service.seen[1].query == {"notify": "true"}


async def test_an_unknown_operation_fails_at_start_naming_it(service: FakeService) -> None:
    config = HttpConnector.model_validate(
        {
            "kind": "http",
            "base_url": service.url,
            "customer_ref": "isp",
            "openapi": "isp_openapi.yaml",
            "operations": {"cancelEverything": {"risk": "write"}},
        }
    )
    with pytest.raises(ConnectorError, match=r"connectors\.isp\.operations\.cancelEverything"):
        async with await _connected(config):
            pass


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"customer_ref": None}, "set customer_ref"),
        ({"tools": {"x": {"path": "/a/{id}"}}}, "path names {id}, which parameters does not"),
        ({"tools": {"x": {"path": "http://evil/x"}}}, "must be a path below base_url"),
        ({"base_url": "ftp://x"}, "must be an http:// or https:// URL"),
    ],
)
def test_a_bad_connector_is_refused_naming_the_problem(
    change: dict[str, Any], problem: str
) -> None:
    raw = isp_config("http://127.0.0.1:9").model_dump(mode="json")
    raw["headers"] = {}
    raw.update(change)
    with pytest.raises(ValueError, match=problem.replace("{", r"\{").replace("(", r"\(")):
        HttpConnector.model_validate(raw)


def test_a_connector_may_not_take_a_built_in_name() -> None:
    raw = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    raw["connectors"] = {
        "payments": {"kind": "http", "base_url": "http://x", "tools": {"a": {"path": "/a"}}}
    }
    with pytest.raises(ValueError, match=r"payments\.\* are built-in tools"):
        Policy.model_validate(raw)


def test_no_request_ever_carries_another_customers_id(sqlite_databases: DatabaseFactory) -> None:
    """Whatever arguments arrive (from a message, a workflow, a model), a request made for
    a customer binds that customer's id, and another customer's id appears in it only
    where the arguments themselves spelled it."""
    import asyncio

    url = sqlite_databases.fresh()
    ids = {"cus_maria": {"isp": "ISP-0042"}, "cus_sam": {"isp": "ISP-0077"}}
    others = {user: ext["isp"] for user, ext in ids.items()}
    loop = asyncio.new_event_loop()
    service = FakeService(token=TOKEN)
    service.route("GET", "/customers/{customer}/plan", _plan)
    service.route("POST", "/customers/{customer}/plan", _changed)
    service.route("GET", "/tickets/{ticket}", lambda seen: {"ticket": seen.match["ticket"]})
    loop.run_until_complete(service.start())
    engine = create_engine(url)
    sessions = session_factory(engine)
    callers = loop.run_until_complete(callers_for(sessions, ids))
    opened = open_connectors({"isp": isp_config(service.url)}, Providers(), DATA)
    connections: Connections = loop.run_until_complete(opened.__aenter__())
    text = st.one_of(st.text(max_size=30), st.sampled_from(list(others.values())))

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        acting=st.sampled_from(sorted(ids)),
        tool=st.sampled_from(["isp.current_plan", "isp.set_plan", "isp.ticket"]),
        arguments=st.dictionaries(
            st.sampled_from(["plan", "ticket", "customer", "customer_id", "isp"]), text
        ),
    )
    def check(acting: str, tool: str, arguments: dict[str, Any]) -> None:
        before = len(service.seen)
        box = ToolBox(sessions, callers[acting], connections.catalog)
        with contextlib.suppress(ToolError):
            loop.run_until_complete(box.call(tool, **arguments))
        for seen in service.seen[before:]:
            if seen.path.startswith("/customers/"):
                assert seen.path.split("/")[2] == others[acting]
            request = f"{seen.path} {seen.query} {seen.body}"
            for user, other in others.items():
                if user != acting and other not in str(arguments):
                    assert other not in request

    try:
        check()
        assert len(service.seen) > 20  # the property was checked on real requests
    finally:
        loop.run_until_complete(opened.__aexit__(None, None, None))
        loop.run_until_complete(service.stop())
        loop.run_until_complete(engine.dispose())
        loop.close()


async def test_each_call_s_status_is_traced(
    sessions: async_sessionmaker[AsyncSession], service: FakeService
) -> None:
    callers = await callers_for(sessions, {"cus_maria": {"isp": "ISP-0042"}})
    async with await _connected(isp_config(service.url, retries=0)) as connections:
        box = ToolBox(sessions, callers["cus_maria"], connections.catalog)
        await box.call("isp.current_plan")
        service.fail_next(1, 503)
        with contextlib.suppress(ToolError):
            await box.call("isp.current_plan")
        service.fail_next(1, 403)
        with contextlib.suppress(ToolError):
            await box.call("isp.current_plan")
        with contextlib.suppress(ToolError):
            await box.call("isp.ticket", ticket=".")
        stranger = next(c for user, c in callers.items() if user != "cus_maria")
        with contextlib.suppress(ToolError):
            await ToolBox(sessions, stranger, connections.catalog).call("isp.current_plan")

    assert [e["status"] for e in box.log] == ["ok", "unavailable", "rejected", "invalid"]
    assert all(e["connector"] == "isp" and e["ms"] >= 0 for e in box.log)


def test_secrets_stay_out_of_the_policy_s_dump_and_version() -> None:
    raw = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    raw["connectors"] = {"isp": isp_config("http://127.0.0.1:9").model_dump(mode="json")}
    raw["connectors"]["isp"]["headers"] = {"Authorization": f"Bearer {TOKEN}"}
    policy = Policy.model_validate(raw)
    rotated = Policy.model_validate(
        {**raw, "connectors": {"isp": {**raw["connectors"]["isp"], "headers": {"A": "b"}}}}
    )

    assert TOKEN not in policy.model_dump_json() and TOKEN not in repr(policy)
    assert policy.version != rotated.version  # the header's name is content; its value not


async def test_metrics_count_calls_and_show_the_breaker(
    sessions: async_sessionmaker[AsyncSession], service: FakeService
) -> None:
    from prometheus_client import REGISTRY

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    ok = {"connector": "metered", "tool": "metered.current_plan", "outcome": "ok"}
    error = {**ok, "outcome": "error"}
    before_ok, before_error = (
        sample("switchboard_connector_calls_total", **ok),
        sample("switchboard_connector_calls_total", **error),
    )
    callers = await callers_for(sessions, IDS)
    config = isp_config(service.url, retries=0, breaker={"failures": 1, "cooldown_s": 60})
    async with open_connectors({"metered": config}, Providers(), DATA) as connections:
        box = ToolBox(sessions, callers["cus_maria"], connections.catalog)
        await box.call("metered.current_plan")
        service.fail_next(1, 500)
        with contextlib.suppress(ToolError):
            await box.call("metered.current_plan")

    assert sample("switchboard_connector_calls_total", **ok) == before_ok + 1
    assert sample("switchboard_connector_calls_total", **error) == before_error + 1
    assert sample("switchboard_connector_breaker_open", connector="metered") == 1
    assert sample("switchboard_connector_call_seconds_count", connector="metered") >= 2
