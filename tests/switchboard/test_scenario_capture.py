"""`switchboard eval capture ID`: a real conversation, had over the web chat API, becomes a
scenario that `switchboard eval` replays: it passes against the policy that served it and
names the difference against one that routes the customer elsewhere."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner, Result

from bots.base import InboundMessage
from switchboard.cli.main import app
from switchboard.settings import DEFAULT_POLICY, Settings, get_settings
from tests.conftest import make_settings, open_webchat
from tests.support.databases import DatabaseFactory
from tests.support.server import LiveServer, run_server

SEED = "My payment failed twice, but I was still charged. I need this fixed today."
SEED_NAME = "My payment failed twice, but I was still charged. I need..."
ADMIN = {"Authorization": "Bearer test-admin-token"}


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """The CLI reads its settings once per process, and these commands each run with
    their own (database, policy): other tests get theirs back afterwards."""
    yield
    get_settings.cache_clear()


def _cli(args: list[str], env: Mapping[str, str | None]) -> Result:
    get_settings.cache_clear()
    return CliRunner().invoke(app, args, env={"SWITCHBOARD_POLICY": None, **env})


async def cli(args: list[str], **env: str | None) -> Result:
    """The command in a thread: it runs its own event loop, the live server runs in ours."""
    return await asyncio.to_thread(_cli, args, env)


async def _maria_seed_case(http: httpx.AsyncClient) -> int:
    maria = await open_webchat(http, "cus_maria")
    first = await maria.say(SEED)
    assert "SB-" in first["replies"][0]["text"]
    await maria.say("thanks, that's all")
    return int(first["conversation_id"])


async def _stored_traces(http: httpx.AsyncClient, conversation_id: int) -> list[dict[str, Any]]:
    detail = await http.get(f"/api/admin/conversations/{conversation_id}", headers=ADMIN)
    assert detail.status_code == 200, detail.text
    traces: list[dict[str, Any]] = detail.json()["traces"]
    return traces


async def _captured(settings: Settings, conversation_id: int) -> tuple[str, dict[str, Any]]:
    printed = await cli(
        ["eval", "capture", str(conversation_id)], SWITCHBOARD_DATABASE_URL=settings.database_url
    )
    assert printed.exit_code == 0, printed.output
    [scenario] = yaml.safe_load(printed.stdout)["scenarios"]
    return printed.stdout, scenario


async def test_capture_writes_each_turn_with_what_it_met(
    settings: Settings, http: httpx.AsyncClient, fresh_settings: None, tmp_path: Path
) -> None:
    conversation_id = await _maria_seed_case(http)
    database = {"SWITCHBOARD_DATABASE_URL": settings.database_url}

    printed = await cli(["eval", "capture", str(conversation_id)], **database)

    assert printed.exit_code == 0, printed.output
    [scenario] = yaml.safe_load(printed.stdout)["scenarios"]
    assert scenario["name"] == f"captured conversation {conversation_id}: {SEED_NAME}"
    assert (scenario["channel"], scenario["customer"]) == ("webchat", "cus_maria")
    first, second = scenario["turns"]
    assert (first["say"], second["say"]) == (SEED, "thanks, that's all")
    seed = first["expect"]
    assert (seed["intent"], seed["route"]) == ("billing_issue", "workflow:billing_issue")
    assert {"payments.find_duplicates", "tickets.create", "notify.staff"} <= set(seed["tools"])
    assert {"failed_payment", "double_charge", "urgent"} <= set(seed["entities"])
    assert seed["ticket"] == {"category": "billing", "priority": "high"}
    assert (seed["mode"], seed["language"]) == ("bot", "en")
    # Each turn says what its own trace holds, and only the turn that opened the ticket
    # expects one.
    traced = await _stored_traces(http, conversation_id)
    for turn, trace in zip(scenario["turns"], traced, strict=True):
        expect = turn["expect"]
        assert (expect["intent"], expect["route"]) == (trace["intent"], trace["route"])
        assert expect["tools"] == trace["tools"]
        assert expect.get("entities", []) == trace["entities"]
    assert "ticket" not in second["expect"] and second["expect"]["mode"] == "bot"

    path = tmp_path / "scenarios" / "maria.yaml"
    written = await cli(["eval", "capture", str(conversation_id), "-o", str(path)], **database)
    assert written.exit_code == 0, written.output
    assert path.read_text(encoding="utf-8") == printed.stdout
    again = await cli(["eval", "capture", str(conversation_id), "-o", str(path)], **database)
    assert again.exit_code == 2
    assert again.stderr.strip() == f"{path} exists: use --force to overwrite it"
    path.write_text("stale", encoding="utf-8")
    forced = await cli(
        ["eval", "capture", str(conversation_id), "-o", str(path), "--force"], **database
    )
    assert forced.exit_code == 0 and path.read_text(encoding="utf-8") == printed.stdout

    missing = await cli(["eval", "capture", "987654"], **database)
    assert missing.exit_code == 2
    assert missing.stderr.splitlines() == ["conversation 987654 not found"]
    assert missing.stdout == ""


def _policy_routing_billing_to_faq(tmp_path: Path) -> Path:
    raw = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    raw["intents"]["billing_issue"]["route"] = "workflow:faq"
    path = tmp_path / "policy" / "billing_to_faq.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


async def _handed_over(http: httpx.AsyncClient) -> int:
    visitor = await open_webchat(http)
    await visitor.say("hi")
    handed = await visitor.say("I want to talk to a person")
    assert handed["mode"] == "human", handed
    await visitor.say("hello? is anyone there")
    return int(handed["conversation_id"])


async def _refund_approved(http: httpx.AsyncClient, live: LiveServer) -> int:
    sam = await open_webchat(http, "cus_sam")
    asked = await sam.say("I want a refund for order 2001")
    conversation_id = int(asked["conversation_id"])
    [approval] = (await http.get("/api/admin/approvals", headers=ADMIN)).json()["approvals"]
    decided = await http.post(
        f"/api/admin/approvals/{approval['id']}", json={"decision": "approve"}, headers=ADMIN
    )
    assert decided.status_code == 200, decided.text
    for _ in range(100):  # the refund's confirmation, sent when the decision resumes it
        if len((await sam.history())["messages"]) >= 3:
            break
        await asyncio.sleep(0.05)
    await sam.say("thank you")
    return conversation_id


async def test_the_captured_conversations_replay_and_a_changed_route_fails_one(
    sqlite_databases: DatabaseFactory, fresh_settings: None, tmp_path: Path
) -> None:
    settings = make_settings(sqlite_databases.fresh())
    folder = tmp_path / "captured"
    async with run_server(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
        await live.add_staff()  # someone to hand over to
        conversations = {
            "seed": await _maria_seed_case(http),
            "handoff": await _handed_over(http),
            "refund": await _refund_approved(http, live),
        }
        for name, conversation_id in conversations.items():
            done = await cli(
                ["eval", "capture", str(conversation_id), "-o", str(folder / f"{name}.yaml")],
                SWITCHBOARD_DATABASE_URL=settings.database_url,
            )
            assert done.exit_code == 0, done.output

    handoff_text = (folder / "handoff.yaml").read_text(encoding="utf-8")
    [handoff] = yaml.safe_load(handoff_text)["scenarios"]
    assert [t["say"] for t in handoff["turns"]] == ["hi", "I want to talk to a person"]
    assert handoff["turns"][-1]["expect"]["mode"] == "human"
    assert "customer" not in handoff and "anonymous visitor" in handoff_text
    assert "Stopped at the handoff: 1 later customer message went to a person" in handoff_text
    [refund] = yaml.safe_load((folder / "refund.yaml").read_text(encoding="utf-8"))["scenarios"]
    assert [t.get("say", t.get("approve")) for t in refund["turns"]] == [
        "I want a refund for order 2001",
        True,
        "thank you",
    ]
    assert "approvals.request" in refund["turns"][0]["expect"]["tools"]

    replayed = await cli(["eval", str(folder)])
    assert replayed.exit_code == 0, replayed.stdout
    assert replayed.stdout.strip().splitlines()[-1] == "3 passed, 0 failed; 0 LLM calls, 0 tokens"

    policy = _policy_routing_billing_to_faq(tmp_path)
    broken = await cli(["eval", str(folder)], SWITCHBOARD_POLICY=str(policy))
    assert broken.exit_code == 1, broken.stdout
    lines = [line.strip() for line in broken.stdout.splitlines()]
    seed = conversations["seed"]
    assert any(line.startswith(f"FAIL  captured conversation {seed}: ") for line in lines)
    assert "x route: expected workflow:billing_issue, saw workflow:faq" in lines
    assert lines[-1] == "2 passed, 1 failed; 0 LLM calls, 0 tokens"


async def test_a_staff_correction_is_the_turns_expected_intent(
    settings: Settings, http: httpx.AsyncClient, fresh_settings: None
) -> None:
    visitor = await open_webchat(http)
    first = await visitor.say("hello there")
    await visitor.say("where is my order?")
    conversation_id = int(first["conversation_id"])
    greeting, order = await _stored_traces(http, conversation_id)
    assert greeting["intent"] == "greeting"
    labelled = await http.post(
        f"/api/admin/turns/{greeting['id']}/label",
        json={"intent": "faq", "labelled_by": "alex"},
        headers=ADMIN,
    )
    assert labelled.status_code == 200, labelled.text

    text, scenario = await _captured(settings, conversation_id)

    corrected, untouched = scenario["turns"]
    # What the bot did with the wrong intent is not held against it after a retrain.
    assert corrected["expect"] == {"intent": "faq", "language": "en"}
    assert "# intent corrected by staff (the bot saw greeting -> workflow:greeting)" in text
    assert "alex" not in text  # a file to share: nobody's name in it
    assert (untouched["expect"]["intent"], untouched["expect"]["route"]) == (
        order["intent"],
        order["route"],
    )


async def test_who_and_where_are_replaced_by_what_eval_can_play(
    settings: Settings, server: LiveServer, http: httpx.AsyncClient, fresh_settings: None
) -> None:
    newcomer = await open_webchat(http, "cus_newcomer")  # signed in, not a demo customer
    said = await newcomer.say("where is my order?")
    text, scenario = await _captured(settings, int(said["conversation_id"]))
    assert "customer" not in scenario and scenario["channel"] == "webchat"
    assert "not a demo customer: replayed as an anonymous visitor" in text
    assert "cus_newcomer" not in text

    # `switchboard chat --as cus_maria` talks on the terminal channel, which eval has not.
    result = await server.runtime.engine.handle(
        InboundMessage(
            channel="terminal",
            channel_user_id="cus_maria",
            channel_chat_id="terminal-capture",
            channel_message_id="terminal-capture:1",
            text="where is my order?",
            verified_user_id="cus_maria",
        )
    )
    text, scenario = await _captured(settings, result.conversation_id)
    assert (scenario["channel"], scenario["customer"]) == ("webchat", "cus_maria")
    assert "It came on terminal, which eval cannot play: web chat here." in text
    assert scenario["turns"][0]["expect"]["route"] == "workflow:order_status"
