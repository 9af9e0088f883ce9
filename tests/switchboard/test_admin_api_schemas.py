"""The admin API is typed: /docs shows a real schema for every route, and what the routes
answer is exactly what their models say (nothing dropped, nothing undeclared)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import text

from storage.db import create_engine
from storage.migrate import head_revision
from switchboard.api.approvals import ApprovalList
from switchboard.api.handoffs import HandoffList
from switchboard.api.health import NotReady
from switchboard.api.kb import ArticleList
from switchboard.api.schemas import ConversationDetail, TicketList, TicketPublic
from switchboard.api.staff_admin import StaffList
from switchboard.app import create_app
from tests.conftest import make_settings, open_webchat

REF = "#/components/schemas/"


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # Building the app connects to nothing: no database needed to read its schema.
    path = Path(tmp_path_factory.mktemp("schema")) / "unused.db"
    return create_app(make_settings(f"sqlite+aiosqlite:///{path}")).openapi()


def _admin_operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every documented operation but the web chat widget's (its own contract test)."""
    return [
        (method.upper(), path, operation)
        for path, operations in openapi["paths"].items()
        if not path.startswith("/api/webchat/")
        for method, operation in operations.items()
    ]


def _component(openapi: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any] | None:
    """The component a response schema names (directly or as a list's items), else None."""
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    ref = schema.get("$ref", "")
    if not ref.startswith(REF):
        return None
    component: dict[str, Any] = openapi["components"]["schemas"][ref.removeprefix(REF)]
    return component


def test_every_admin_route_documents_a_real_response_schema(openapi: dict[str, Any]) -> None:
    operations = _admin_operations(openapi)
    assert sum(path.startswith("/api/admin/") for _, path, _ in operations) >= 25
    untyped = []
    for method, path, operation in operations:
        for status, response in operation["responses"].items():
            if not status.startswith("2"):
                continue
            content = response.get("content", {})
            if status == "204":
                assert not content, f"{method} {path}: a 204 has no body"
                continue
            if not content:
                untyped.append(f"{method} {path} {status}: no content declared")
            json_body = content.get("application/json")
            if json_body is None:
                continue  # a download or a page, declared by its response class
            component = _component(openapi, json_body.get("schema", {}))
            if component is None or not component.get("properties"):
                untyped.append(f"{method} {path} {status}: {json_body.get('schema')}")
            elif component.get("additionalProperties") is not False:
                untyped.append(f"{method} {path} {status}: the model allows undeclared keys")
    assert not untyped, "responses without a model:\n" + "\n".join(untyped)


def test_downloads_declare_what_they_send(openapi: dict[str, Any]) -> None:
    def media(path: str) -> set[str]:
        return set(openapi["paths"][path]["get"]["responses"]["200"]["content"])

    assert media("/api/admin/export/conversations") == {"application/x-ndjson"}
    assert media("/api/admin/conversations/{conversation_id}/scenario") == {"application/yaml"}
    assert media("/metrics") == {"text/plain"}


def test_a_model_refuses_a_key_it_does_not_declare() -> None:
    fields = {
        "number": "SB-1001",
        "category": "support",
        "priority": "normal",
        "status": "open",
        "summary": "late parcel",
        "conversation_id": 1,
        "created_at": "2026-12-04T10:00:00+00:00",
    }
    assert TicketPublic(**fields).model_dump() == fields
    with pytest.raises(ValidationError, match="surprise"):
        TicketPublic(**fields, surprise=True)


def _matches(model: type[BaseModel], body: Any) -> None:
    """The body is the model's, key for key and value for value."""
    assert model.model_validate(body).model_dump(mode="json") == body


async def test_answers_are_exactly_their_models(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    async def get(url: str) -> Any:
        response = await http.get(url, headers=admin_headers)
        assert response.status_code == 200, response.text
        return response.json()

    staff = {"email": "anna@example.com", "name": "Anna", "password": "correct horse"}
    added = await http.post("/api/admin/staff", json=staff, headers=admin_headers)
    assert added.status_code == 201, added.text
    maria = await open_webchat(http, "cus_maria")
    await maria.say("I want a refund please")
    turn = await maria.say("I want to talk to a human")
    note = {"text": "She asked twice."}
    url = f"/api/admin/conversations/{turn['conversation_id']}"
    assert (await http.post(f"{url}/notes", json=note, headers=admin_headers)).status_code == 201

    detail = await get(url)
    _matches(ConversationDetail, detail)
    assert detail["traces"] and detail["tickets"] and detail["notes"]
    assert detail["traces"][0]["node_ms"] and detail["traces"][0]["dialogue"] is not None

    handoffs = await get("/api/admin/handoffs")
    _matches(HandoffList, handoffs)
    approvals = await get("/api/admin/approvals")
    _matches(ApprovalList, approvals)
    tickets = await get("/api/admin/tickets?customer=cus_maria")
    _matches(TicketList, tickets)
    listed = await get("/api/admin/staff")
    _matches(StaffList, listed)
    articles = await get("/api/admin/kb/articles")
    _matches(ArticleList, articles)
    assert all((handoffs["handoffs"], approvals["approvals"], tickets["tickets"]))
    assert all((listed["staff"], articles["articles"]))


async def test_not_ready_says_why_in_its_documented_shape(
    http: httpx.AsyncClient, database_url: str
) -> None:
    engine = create_engine(database_url)
    try:
        for version, database in (("0001", "0001"), (None, None)):
            async with engine.begin() as connection:
                await connection.execute(text("DELETE FROM alembic_version"))
                if version:
                    insert = "INSERT INTO alembic_version (version_num) VALUES (:v)"
                    await connection.execute(text(insert), {"v": version})
            response = await http.get("/readyz")
            assert response.status_code == 503
            body = response.json()
            assert body == {
                "status": "migrations pending",
                "database": database,
                "code": head_revision(),
            }
            assert NotReady.model_validate(body).model_dump(exclude_unset=True) == body
    finally:
        await engine.dispose()
