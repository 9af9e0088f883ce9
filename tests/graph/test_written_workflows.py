"""Workflows written in the policy file, run by the real engine: slots, tool calls,
branches, tickets and notices, errors, restarts, and the checks that stop a broken
workflow at start with the key that is wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlmodel import select

from graph.policy import PolicyError, load_policy
from storage import traces
from storage.approvals import approvals_with_status
from storage.messages import transcript
from storage.models import Charge, Direction, Ticket
from tests.conftest import make_settings, open_webchat
from tests.graph.conftest import PolicyFile
from tests.graph.conversation import DEFAULT_POLICY, Customer
from tests.graph.test_agent import _trace, start, write_policy
from tests.support.databases import DatabaseFactory
from tests.support.fake_openai import Call as FakeCall
from tests.support.fake_openai import FakeOpenAI, Say

Starter = Callable[..., Any]

DELIVERY_CHECK = {
    "label": "your delivery",
    "requires": "verified",
    "slots": {
        "order_number": {
            "prompt": "Which order number is it?",
            "kind": "order_number",
            "pattern": r"^#?\d{3,8}$",
            "hint": "An order number has 3 to 8 digits.",
            "choices": "recent_orders",
        }
    },
    "steps": [
        {"ask": "order_number"},
        {"call": "orders.get", "with": {"number": "{{ slots.order_number }}"}, "as": "order"},
        {
            "if": "order is none",
            "then": [
                {
                    "reask": "order_number",
                    "hint": "I couldn't find order #{{ slots.order_number }} on your account.",
                }
            ],
        },
        {
            "if": "order.status == 'delivered'",
            "then": [
                {
                    "reply": "Order {{ order.number }} ({{ order.items }}) was delivered. "
                    "You asked: {{ message }}"
                },
                {"end": "resolved"},
            ],
            "else": [
                {
                    "ticket": {
                        "category": "orders",
                        "priority": "{{ 'high' if entities.urgent else 'normal' }}",
                        "summary": "Delivery check: order {{ order.number }} is {{ order.status }}",
                    },
                    "as": "ticket",
                },
                {"notify": "Ticket {{ ticket.number }}: order {{ order.number }} needs a look"},
                {
                    "reply": {
                        "en": "I've opened ticket {{ ticket.number }} about order "
                        "{{ order.number }}; we'll update you here.",
                        "es": "He abierto el ticket {{ ticket.number }}.",
                    },
                    "quick_replies": ["Thanks"],
                },
            ],
        },
    ],
}


def written(policy_file: PolicyFile, **workflows: Any) -> Path:
    return policy_file(
        intents={"order_status": {"route": "workflow:delivery_check"}},
        workflows={"delivery_check": DELIVERY_CHECK, **workflows},
    )


async def _steps(customer: Customer) -> list[str]:
    async with customer.runtime.sessions() as session:
        rows = await traces.traces_for_conversation(session, customer.conversation_id)
    return list(rows[-1].steps)


async def test_a_written_workflow_asks_checks_and_answers(
    database_url: str, policy_file: PolicyFile, open_app: Starter
) -> None:
    settings = make_settings(database_url, SWITCHBOARD_POLICY=str(written(policy_file)))
    async with open_app(settings) as runtime:
        maria = Customer(runtime, "cus_maria")
        asked = await maria.say("Where is my order?")
        assert "Which order number is it?" in asked.said
        assert {"Order #1042", "Order #1038"} <= set(asked.buttons)
        assert asked.dialogue["asks_for"] == "order_number"

        wrong = await maria.say("9999")
        assert "I couldn't find order #9999 on your account." in wrong.said
        assert wrong.dialogue["asks_for"] == "order_number"

    async with open_app(settings) as runtime:  # a restart: the workflow waits where it was
        maria.runtime = runtime
        answered = await maria.say("1038")
        assert "Order 1038 (Phone case, USB-C cable) was delivered" in answered.said
        assert "You asked: Where is my order?" in answered.said  # the request, not "1038"
        assert answered.dialogue["active"] is None
        path = await _steps(maria)
        assert "delivery_check:steps[3].then[0]" in path
        assert "delivery_check:steps[3].then[1]" in path


async def test_a_written_workflow_opens_a_ticket_and_notifies_staff(
    database_url: str, policy_file: PolicyFile, open_app: Starter
) -> None:
    settings = make_settings(database_url, SWITCHBOARD_POLICY=str(written(policy_file)))
    async with open_app(settings) as runtime:
        maria = Customer(runtime, "cus_maria")
        turn = await maria.say("what's the status of order 1042")
        assert "I've opened ticket SB-" in turn.said and "order 1042" in turn.said
        assert turn.buttons == ["Thanks"]
        async with runtime.sessions() as session:
            rows = await traces.traces_for_conversation(session, maria.conversation_id)
        assert {"orders.get", "tickets.create", "notify.staff"} <= set(rows[-1].tools)
        assert "delivery_check:steps[3].else[1]" in rows[-1].steps
        assert "delivery_check" in rows[-1].node_path

        cancelled = await maria.say("never mind")  # what stays in place is named
        assert "orders ticket SB-" in cancelled.said or "No problem" in cancelled.said


async def test_a_failing_call_runs_its_on_error_steps(
    database_url: str, policy_file: PolicyFile, open_app: Starter
) -> None:
    broken = {
        **DELIVERY_CHECK,
        "steps": [
            {
                "call": "orders.recent",
                "with": {"limit": "lots"},  # not a number: the call fails
                "as": "recent",
                "on_error": [{"reply": "I can't reach our order system right now."}],
            },
            {"reply": "never said"},
        ],
    }
    path = written(policy_file, delivery_check=broken)
    async with open_app(make_settings(database_url, SWITCHBOARD_POLICY=str(path))) as runtime:
        turn = await Customer(runtime, "cus_maria").say("Where is my order?")
    assert turn.said == "I can't reach our order system right now."


async def test_an_unverified_visitor_gets_the_sign_in_offer(
    database_url: str, policy_file: PolicyFile, open_app: Starter
) -> None:
    settings = make_settings(database_url, SWITCHBOARD_POLICY=str(written(policy_file)))
    async with open_app(settings) as runtime:
        turn = await Customer(runtime, None).say("Where is my order?")
    assert "sign in" in turn.said


def _policy_with(tmp_path: Path, workflow: dict[str, Any], route: str = "delivery_check") -> Path:
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    policy["intents"]["order_status"]["route"] = f"workflow:{route}"
    policy.setdefault("workflows", {})["delivery_check"] = workflow
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"steps": [{"call": "orders.gett", "as": "order"}]},
            "workflows.delivery_check.steps[0].call: unknown tool 'orders.gett'",
        ),
        (
            {"steps": [{"ask": "plan"}]},
            "workflows.delivery_check.steps[0].ask: unknown slot 'plan'",
        ),
        (
            {"steps": [{"reply": "Hello {{ ordr.number }}"}]},
            "workflows.delivery_check.steps[0].reply: unknown variable 'ordr'",
        ),
        (
            {"steps": [{"end": "resolved"}, {"reply": "late"}]},
            "workflows.delivery_check.steps[1]: a step after steps[0] never runs",
        ),
        (
            {"steps": [{"if": "order.status ==", "then": [{"end": "resolved"}]}]},
            "workflows.delivery_check.steps[0].if:",
        ),
        (
            {"steps": [{"reply": "hi", "ask": "order_number"}]},
            "workflows.delivery_check.steps[0]: a step needs exactly one of",
        ),
        (
            {"steps": [{"reply": "hi", "colour": "blue"}]},
            "workflows.delivery_check.steps[0].colour: unknown key",
        ),
    ],
)
def test_a_broken_workflow_fails_at_start_naming_the_key(
    tmp_path: Path, change: dict[str, Any], expected: str
) -> None:
    workflow = {**DELIVERY_CHECK, **change}
    with pytest.raises(PolicyError) as failed:
        load_policy(_policy_with(tmp_path, workflow))
    assert expected in str(failed.value)


def test_an_intent_routed_to_a_missing_workflow_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as failed:
        load_policy(_policy_with(tmp_path, DELIVERY_CHECK, route="plan_change"))
    assert "intents.order_status.route: no workflow 'plan_change'" in str(failed.value)


def test_the_readme_example_is_a_valid_policy(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Writing a workflow", 1)[1]
    example = yaml.safe_load(section.split("```yaml", 1)[1].split("```", 1)[0])
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    policy["intents"].update(example["intents"])
    policy["workflows"].update(example["workflows"])
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    loaded = load_policy(path)
    assert loaded.written("outage_report") and loaded.writes("outage_report")


async def test_each_trace_records_the_policy_version_that_decided_it(
    database_url: str, policy_file: PolicyFile, open_app: Starter
) -> None:
    path = written(policy_file)
    async with open_app(make_settings(database_url, SWITCHBOARD_POLICY=str(path))) as runtime:
        maria = Customer(runtime, "cus_maria")
        await maria.say("what's the status of order 1042")
        async with runtime.sessions() as session:
            [trace] = await traces.traces_for_conversation(session, maria.conversation_id)
    assert trace.policy_version == load_policy(path).version


def test_the_policy_version_follows_content_not_layout(tmp_path: Path) -> None:
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    same = tmp_path / "same.yaml"
    same.write_text("# a comment and a reflow change nothing\n" + text, encoding="utf-8")
    changed = tmp_path / "changed.yaml"
    changed.write_text(text.replace("idle_minutes: 30", "idle_minutes: 31"), encoding="utf-8")
    version = load_policy(DEFAULT_POLICY).version
    assert load_policy(same).version == version
    assert load_policy(changed).version != version


CHARGES_EXPLAINED = {
    "label": "your charges",
    "requires": "verified",
    "steps": [
        {
            "agent": {
                "goal": "Explain the customer's recent charges in one or two sentences.",
                "tools": ["payments.list_charges"],
                "max_steps": 3,
            },
            "as": "explained",
            "else": [
                {"reply": "I can't explain the charges right now."},
                {"handoff": {"reason": "charges question"}},
            ],
        },
        {"reply": "Anything else about {{ company }} I can help with?"},
    ],
}


def _charges_policy(tmp_path: Path) -> Path:
    billing = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))["intents"]["billing_issue"]
    return write_policy(
        tmp_path,
        threshold=0.35,
        intents__billing_issue={**billing, "route": "workflow:charges_explained"},
        workflows__charges_explained=CHARGES_EXPLAINED,
    )


async def test_an_agent_step_answers_with_only_its_tools(
    sqlite_databases: DatabaseFactory,
    fake_llm: FakeOpenAI,
    tmp_path: Path,
    admin_headers: dict[str, str],
) -> None:
    fake_llm.queue(
        FakeCall("payments__list_charges", {}),
        Say("Order #1042 was charged €59.90 twice; the other charges were single."),
    )
    async with await start(sqlite_databases, fake_llm, _charges_policy(tmp_path)) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            turn = await (await open_webchat(http, "cus_maria")).say("I was charged twice")
            [trace] = await _trace(http, admin_headers, turn["conversation_id"])
    said = [r["text"] for r in turn["replies"]]
    assert said[0].startswith("Order #1042 was charged €59.90 twice")
    assert "Anything else about Acme" in said[-1]
    offered = {t["function"]["name"] for t in fake_llm.requests[0]["tools"]}
    assert offered == {"payments__list_charges"}  # the step's tools, nothing else
    assert "Explain the customer's recent charges" in fake_llm.requests[0]["messages"][0]["content"]
    assert "charges_explained:steps[1]" in trace["steps"]


async def test_an_agent_step_without_a_model_runs_its_else(
    database_url: str, tmp_path: Path, open_app: Starter
) -> None:
    settings = make_settings(database_url, SWITCHBOARD_POLICY=str(_charges_policy(tmp_path)))
    async with open_app(settings) as runtime:
        turn = await Customer(runtime, "cus_maria").say("I was charged twice")
    assert "I can't explain the charges right now." in turn.said
    assert "Anything else" not in turn.said  # the else block ends the workflow


async def test_visitors_nobody_verified_never_share_a_deduplicated_ticket(
    database_url: str, policy_file: PolicyFile, open_app: Starter
) -> None:
    outage = {
        "label": "your connection",
        "steps": [
            {"ticket": {"summary": "No connection", "dedupe_key": "outage"}, "as": "ticket"},
            {"reply": "Ticket {{ ticket.number }}."},
        ],
    }
    path = policy_file(
        intents={"order_status": {"route": "workflow:outage"}}, workflows={"outage": outage}
    )
    async with open_app(make_settings(database_url, SWITCHBOARD_POLICY=str(path))) as runtime:
        first = await Customer(runtime, None).say("Where is my order?")
        second = await Customer(runtime, None).say("Where is my order?")
        again = await Customer(runtime, "cus_maria").say("Where is my order?")
        repeated = await Customer(runtime, "cus_maria").say("Where is my order?")
    assert first.said != second.said  # one ticket each, not the other visitor's
    assert again.said == repeated.said  # a verified customer's key spans conversations


async def test_a_text_slot_is_found_inside_a_sentence(
    database_url: str, policy_file: PolicyFile, open_app: Starter
) -> None:
    outage = {
        "label": "your connection",
        "slots": {
            "postcode": {
                "prompt": "What is the postcode?",
                "pattern": r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$",
                "hint": "A postcode looks like SW1A 1AA.",
                "from_request": True,
            }
        },
        "steps": [{"ask": "postcode"}, {"reply": "Checking {{ slots.postcode }}."}],
    }
    path = policy_file(
        intents={"order_status": {"route": "workflow:outage"}}, workflows={"outage": outage}
    )
    async with open_app(make_settings(database_url, SWITCHBOARD_POLICY=str(path))) as runtime:
        told = await Customer(runtime, None).say("Where is my order? I'm at SW1A 1AA")
        visitor = Customer(runtime, None)
        asked = await visitor.say("Where is my order?")
        answered = await visitor.say("it's SW1A 1AA I think")
    assert told.said == "Checking SW1A 1AA."  # given with the request: not asked
    assert "What is the postcode?" in asked.said
    assert answered.said == "Checking SW1A 1AA."


PLAN_REFUND = {
    "label": "your refund",
    "requires": "verified",
    "steps": [
        {"call": "payments.find_duplicates", "as": "duplicates"},
        {
            "call": "payments.refund",
            "with": {"charge_id": "{{ duplicates[0].duplicate_ids[0] }}"},
            "summary": "refund the duplicate {{ duplicates[0].duplicate_ids[0] }}",
            "waiting": "Waiting for a colleague to approve the refund.",
            "as": "refund",
        },
        {
            "if": "refund.outcome == 'approved'",
            "then": [
                {
                    "ticket": {
                        "category": "billing",
                        "summary": "Refunded {{ refund.result.charge_id }} ({{ refund.decided_by }})",
                    },
                    "as": "ticket",
                },
                {
                    "reply": "Approved by {{ refund.decided_by }}; ticket {{ ticket.number }}, "
                    "{{ customer.name }}."
                },
                {"end": "resolved"},
            ],
        },
        {"reply": "Not this time ({{ refund.outcome }})."},
        {"end": "unresolved"},
    ],
}


async def _said_since(customer: Customer, after: int) -> list[str]:
    async with customer.runtime.sessions() as session:
        rows = await transcript(session, customer.conversation_id or 0, after_id=after)
    return [row.text for row in rows if row.direction == Direction.outbound]


async def _last_id(customer: Customer) -> int:
    async with customer.runtime.sessions() as session:
        rows = await transcript(session, customer.conversation_id or 0)
    return max(row.id or 0 for row in rows)


def _refund_policy(policy_file: PolicyFile) -> Path:
    return policy_file(
        intents={"refund_request": {"route": "workflow:plan_refund"}},
        workflows={"plan_refund": PLAN_REFUND},
    )


async def test_a_sensitive_call_pauses_the_workflow_until_staff_decide(
    database_url: str, policy_file: PolicyFile, open_app: Starter
) -> None:
    settings = make_settings(database_url, SWITCHBOARD_POLICY=str(_refund_policy(policy_file)))
    async with open_app(settings) as runtime:
        maria = Customer(runtime, "cus_maria")
        asked = await maria.say("I want a refund please")
        assert asked.said == "Waiting for a colleague to approve the refund."
        assert asked.dialogue["active"] is None and asked.dialogue["paused"] == ["plan_refund"]
        # The conversation goes on meanwhile; the paused workflow stays where it is.
        other = await maria.say("where is my order?")
        assert "Order #1042" in other.said
        async with runtime.sessions() as session:
            [approval] = await approvals_with_status(session, "pending")
    async with open_app(settings) as runtime:  # a restart between request and decision
        maria.runtime = runtime
        before = await _last_id(maria)
        assert approval.id is not None
        decided = await runtime.engine.decide_approval(
            approval.id, approved=True, decided_by="U_ANA"
        )
        assert decided.applied
        said = await _said_since(maria, before)
        assert len(said) == 1 and said[0].startswith("Approved by U_ANA; ticket SB-")
        assert said[0].endswith(", Maria Garcia.")  # the customer, as in any turn
        async with runtime.sessions() as session:
            tickets = (await session.exec(select(Ticket))).all()
            charge = (
                await session.exec(select(Charge).where(Charge.charge_id == "ch_maria_4"))
            ).one()
        assert charge.status == "refunded"
        assert [t.summary for t in tickets if t.summary.startswith("Refunded")] == [
            "Refunded ch_maria_4 (U_ANA)"
        ]
        # A second decision changes nothing and says nothing more.
        again = await runtime.engine.decide_approval(approval.id, approved=False, decided_by="X")
        assert not again.applied and await _said_since(maria, before) == said
        later = await maria.say("where is my order?")
        assert later.dialogue["paused"] == []


async def test_a_denied_call_resumes_the_workflow_with_the_outcome(
    database_url: str, policy_file: PolicyFile, open_app: Starter
) -> None:
    settings = make_settings(database_url, SWITCHBOARD_POLICY=str(_refund_policy(policy_file)))
    async with open_app(settings) as runtime:
        maria = Customer(runtime, "cus_maria")
        await maria.say("I want a refund please")
        async with runtime.sessions() as session:
            [approval] = await approvals_with_status(session, "pending")
        before = await _last_id(maria)
        assert approval.id is not None
        await runtime.engine.decide_approval(approval.id, approved=False, decided_by="U_BOB")
        assert await _said_since(maria, before) == ["Not this time (denied)."]
